"""Hotwash's YAML configuration files, read one way.

Four kinds of file configure Hotwash, each shipped with defaults that an
organisation's own file changes: the policies (hotwash.policies), the
trigger policies (hotwash.triggers.policy), the blameless-language rules
(hotwash.blameless.engine) and the postmortem outlines
(hotwash.postmortems.outlines). Each is read with `read_mapping` (a key
given twice in one mapping is refused, not silently dropped), its entries
merged with `merge_entries` where a file changes shipped ones field by
field, and the result validated with its pydantic models by `validate`.
A mistake is a ConfigurationError naming the file, and the entry and field
at fault, so Hotwash stops at start-up with a message a person can act on.

Switching an entry off is written `enabled: false`; `disabled: true`, which
the blameless rules once used, is accepted as well (`switch_of` turns it
into `enabled`), so files written either way keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hotwash.envconfig import ConfigurationError

M = TypeVar("M", bound=BaseModel)


try:  # libyaml's parser, when PyYAML was built with it (its wheels are)
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _StrictLoader(_SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (YAML
    would silently keep the last one: a rule's second `unless_before` would
    drop the first). It parses with libyaml where it can: the blameless rule
    files are read by every process that starts, and the pure-Python parser
    took a third of a second for them."""


def _no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)


def read_yaml(path: Path, what: str, *, variable: str = "") -> Any:
    """The document in the file at `path`, a `what` ("policy file"). When
    it cannot be read, the error names `variable`, the setting that points
    at it, if given."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except OSError as exc:
        named = f" ({variable})" if variable else ""
        raise ConfigurationError(f"Cannot read the {what} {path}{named}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"The {what} {path} is not valid YAML: {exc}") from None


def read_mapping(path: Path, what: str, *, variable: str = "", shape: str = "") -> dict[str, Any]:
    """`read_yaml` for a file that holds a mapping (an empty file is an
    empty one); `shape` says what the mapping holds, for the error."""
    data = read_yaml(path, what, variable=variable) or {}
    if not isinstance(data, dict):
        hint = f" ({shape})" if shape else ""
        raise ConfigurationError(f"The {what} {path} must contain a mapping at the top level{hint}")
    return data


def switch_of(entry: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The entry with `disabled: true|false` written as `enabled: false|true`
    (the one word the documentation uses); both given and disagreeing is a
    mistake."""
    if "disabled" not in entry:
        return dict(entry)
    result = {key: value for key, value in entry.items() if key != "disabled"}
    disabled = entry["disabled"]
    if not isinstance(disabled, bool):
        raise ConfigurationError(f"{where}: disabled must be true or false")
    if "enabled" in entry and entry["enabled"] is disabled:
        raise ConfigurationError(
            f"{where}: enabled and disabled disagree; give enabled: true or enabled: false"
        )
    result["enabled"] = not disabled
    return result


def switched_off(entry: Mapping[str, Any]) -> bool:
    """Whether a (merged) entry says `enabled: false`."""
    return entry.get("enabled") is False


def merge_entries(
    shipped: Iterable[Mapping[str, Any]],
    local: Iterable[Mapping[str, Any]],
    key: str,
    *,
    replaces: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = None,
) -> list[dict[str, Any]]:
    """The shipped entries, each updated field by field by the local entry
    with the same `key` (or replaced by it when `replaces(shipped, local)`);
    local entries with a new key are added in the order given."""
    merged = [dict(item) for item in shipped]
    index = {item.get(key): position for position, item in enumerate(merged)}
    for item in local:
        existing = index.get(item.get(key))
        if existing is None:
            index[item.get(key)] = len(merged)
            merged.append(dict(item))
        elif replaces is not None and replaces(merged[existing], item):
            merged[existing] = dict(item)
        else:
            merged[existing].update(item)
    return merged


def describe_errors(exc: ValidationError, *, root: str = "file") -> str:
    """Pydantic's complaints as `where: what; where: what`, `root` for one
    about the whole document."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or root}: {error['msg']}"
        for error in exc.errors()
    )


def validate(
    model: type[M],
    data: Any,
    subject: str,
    *,
    describe: Callable[[ValidationError], str] = describe_errors,
) -> M:
    """`data` as a `model`, or a ConfigurationError "<subject> is invalid:
    <what and where>"."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"{subject} is invalid: {describe(exc)}") from None
