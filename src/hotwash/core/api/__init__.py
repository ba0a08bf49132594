"""The kit every app's API is built from: who is calling (`auth`), the one
error shape (`errors`), lists in pages (`paging`), presenter helpers
(`present`) and the base of every schema (`schemas`). Each app's routes are
in its own `api.py`; `hotwash.api.urls` mounts them."""
