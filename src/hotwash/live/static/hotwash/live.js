/**
 * Live updates for incident pages. Progressive enhancement: the page works
 * without this file; no build step, no dependencies.
 *
 * A page opts in with a root element carrying data-live-events="<stream URL>".
 * When the stream says the incident changed, this re-reads the page itself
 * and swaps each [data-live-region="<name>"] for its fresh copy, so what is
 * shown is always what the server renders for this person (permissions,
 * language, time zone).
 *
 * Forms inside a region refresh with it, so what they offer and the state
 * they send (a hidden expected_status, a version) match what is shown. A
 * form someone has started filling in (a value changed from what the page
 * gave it), or one the server marked data-live-keep (sent back with an
 * error), is kept exactly as it is while the rest of its region refreshes:
 * it is matched by id in the fresh region and moved in. Its hidden state
 * stays the one the person chose from, so the server refuses the change if
 * the incident moved meanwhile, and says so. A region whose kept form has no
 * counterpart waits, like one someone is typing in.
 *
 * Optional attributes on the root, written by the server so they are
 * translated:
 *   data-live-version       the incident's version when the page was rendered,
 *                           {{ incident.updated_at|date:"U.u" }}: a (re)connection
 *                           then refetches only if it missed something
 *   data-live-updated-text  announced in #live-status after an update
 *   data-live-gone-text     announced when the incident can no longer be seen
 *   data-live-offline-text  announced when live updates stop working
 * It sets data-live-state on the root, for styling: connecting, live,
 * offline, paused (tab in the background) or stopped.
 */

// Event names the server uses; its ready event may name more.
const KNOWN_EVENTS = ["declared", "updated", "timeline", "role", "participants", "task", "visibility", "change", "resync"];
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60000;
// Still not connected after this long: tell the person, not just the console.
const OFFLINE_AFTER_MS = 10000;
// A tab left in the background gives its server thread back after this long,
// and catches up when it is shown again.
const HIDDEN_PAUSE_MS = 5 * 60 * 1000;
// During a burst of changes, the page is refetched at most this often.
const TRAILING_FETCH_GAP_MS = 500;
const EDITABLE =
  "textarea, select, input:not([type=button]):not([type=submit]):not([type=reset])" +
  ":not([type=checkbox]):not([type=radio]):not([type=hidden])";

class LivePage {
  constructor(root) {
    this.root = root;
    this.url = root.getAttribute("data-live-events");
    this.status = document.getElementById("live-status");
    this.version = root.getAttribute("data-live-version") || null;
    this.source = null;
    this.listening = new Set();
    this.inflight = null;
    this.fetchAgain = false;
    this.deferred = false;
    this.stopped = false;
    this.retryMs = FIRST_RETRY_MS;
    this.retryTimer = 0;
    this.offlineTimer = 0;
    this.pauseTimer = 0;
  }

  start() {
    document.addEventListener("visibilitychange", () => this.onVisibilityChange());
    window.addEventListener("pagehide", () => this.disconnect("paused"));
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) this.connect();
    });
    // A region left alone while someone typed in it catches up afterwards.
    document.addEventListener("focusout", () => {
      if (this.deferred) {
        this.deferred = false;
        setTimeout(() => this.refresh(), 0);
      }
    });
    this.connect();
  }

  // --- the stream ----------------------------------------------------------

  connect() {
    if (this.stopped || this.source) return;
    clearTimeout(this.retryTimer);
    this.setState("connecting");
    this.watchForOffline();
    const source = new EventSource(this.url);
    this.source = source;
    this.listening = new Set();
    source.addEventListener("ready", (event) => this.onReady(event));
    source.addEventListener("error", () => this.onError(source));
    this.listen(KNOWN_EVENTS);
  }

  disconnect(state) {
    clearTimeout(this.retryTimer);
    clearTimeout(this.offlineTimer);
    if (this.source) {
      this.source.close();
      this.source = null;
    }
    this.setState(state);
  }

  listen(names) {
    for (const name of names) {
      if (typeof name !== "string" || name === "ready" || this.listening.has(name)) continue;
      this.listening.add(name);
      this.source.addEventListener(name, () => this.onChange());
    }
  }

  onReady(event) {
    const data = parseJson(event.data);
    if (Array.isArray(data.events)) this.listen(data.events);
    clearTimeout(this.offlineTimer);
    this.retryMs = FIRST_RETRY_MS;
    // The stream announces everything from now on; refetch only if the page
    // may already be behind (or we cannot tell). "live" means: current, and
    // following along.
    const current = typeof data.version === "string" && data.version ? data.version : null;
    const behind = current === null || this.version === null || current !== this.version;
    this.version = current;
    const source = this.source;
    const settled = behind ? this.refresh() : Promise.resolve();
    settled.then(() => {
      if (source === this.source && !this.stopped) this.setState("live");
    });
  }

  onChange() {
    this.version = null; // unknown until the refetch reads it
    this.refresh();
  }

  onError(source) {
    if (source !== this.source) return;
    if (source.readyState === EventSource.CLOSED) {
      // Refused (an HTTP error): the browser will not retry by itself. The
      // refetch finds out whether the incident is gone or we were signed out.
      source.close();
      this.source = null;
      this.setState("offline");
      this.refresh();
      this.retryTimer = setTimeout(() => this.connect(), this.nextRetryDelay());
    } else {
      // The stream ended or dropped; the browser reconnects after `retry:`.
      if (this.root.getAttribute("data-live-state") === "live") this.setState("connecting");
      this.watchForOffline();
    }
  }

  watchForOffline() {
    clearTimeout(this.offlineTimer);
    this.offlineTimer = setTimeout(() => {
      if (this.stopped || this.root.getAttribute("data-live-state") === "live") return;
      this.setState("offline");
      this.announce(this.text("data-live-offline-text"));
    }, OFFLINE_AFTER_MS);
  }

  nextRetryDelay() {
    const delay = this.retryMs * (0.75 + Math.random() / 2); // jitter: no thundering herd
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    return delay;
  }

  onVisibilityChange() {
    clearTimeout(this.pauseTimer);
    if (document.visibilityState === "hidden") {
      this.pauseTimer = setTimeout(() => this.disconnect("paused"), HIDDEN_PAUSE_MS);
    } else if (!this.source && !this.stopped) {
      this.connect();
    }
  }

  stop(message) {
    this.stopped = true;
    this.disconnect("stopped");
    this.announce(message);
  }

  // --- refetching the page ---------------------------------------------------

  /** Refetch and swap regions; at most one request in flight, plus one more
   * afterwards if changes were announced meanwhile. */
  refresh() {
    if (this.stopped) return Promise.resolve();
    if (this.inflight) {
      this.fetchAgain = true;
      return this.inflight;
    }
    this.inflight = this.refreshUntilCurrent().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  async refreshUntilCurrent() {
    try {
      for (;;) {
        this.fetchAgain = false;
        await this.refetch();
        if (!this.fetchAgain || this.stopped) break;
        // A burst of changes: let it settle a moment, then fetch once more.
        await new Promise((resolve) => setTimeout(resolve, TRAILING_FETCH_GAP_MS));
      }
    } catch (error) {
      // Offline or a server error: the next event or reconnection retries.
      this.version = null;
    }
  }

  async refetch() {
    const response = await fetch(window.location.href, {
      headers: { "X-Hotwash-Live": "1", Accept: "text/html" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (response.status === 404 || response.status === 410 || response.status === 403) {
      this.stop(this.text("data-live-gone-text"));
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const freshRoot = doc.querySelector("[data-live-events]");
    // A redirect to the same incident's page is fine (a form's address after
    // an error leads back to it); anything else, such as the sign-in form
    // after the session ended, means this page can no longer follow along.
    if (!freshRoot || freshRoot.getAttribute("data-live-events") !== this.url) {
      this.stop(this.text("data-live-offline-text"));
      return;
    }
    this.version = freshRoot.getAttribute("data-live-version") || null;
    if (this.swapRegions(doc)) this.announce(this.text("data-live-updated-text"));
    if (doc.title && doc.title !== document.title) document.title = doc.title;
  }

  swapRegions(doc) {
    let changed = false;
    for (const region of document.querySelectorAll("[data-live-region]")) {
      if (!region.isConnected) continue; // inside a region already replaced
      const name = region.getAttribute("data-live-region");
      const fresh = findRegion(doc, name);
      if (!fresh) continue;
      const replacement = document.importNode(fresh, true);
      keepDisclosuresOpen(region, replacement);
      if (replacement.outerHTML === region.outerHTML) continue; // nothing new here
      if (isEditing(region)) {
        this.deferred = true; // never pull text out from under someone typing
        continue;
      }
      if (!keepForms(region, replacement)) continue;
      const focus = rememberFocus(region);
      region.replaceWith(replacement);
      restoreFocus(replacement, focus);
      changed = true;
    }
    return changed;
  }

  // --- telling people ------------------------------------------------------

  setState(state) {
    this.root.setAttribute("data-live-state", state);
  }

  text(attribute, fallback = "") {
    const value = this.root.getAttribute(attribute);
    return typeof value === "string" && value.trim() ? value.trim() : fallback;
  }

  announce(message) {
    if (!this.status || !message) return;
    // Empty it first, so the same words are announced again next time.
    this.status.textContent = "";
    setTimeout(() => {
      this.status.textContent = message;
    }, 100);
  }
}

function parseJson(text) {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : {};
  } catch (error) {
    return {};
  }
}

function findRegion(doc, name) {
  for (const candidate of doc.querySelectorAll("[data-live-region]")) {
    if (candidate.getAttribute("data-live-region") === name) return candidate;
  }
  return null;
}

function isEditing(region) {
  const active = document.activeElement;
  return Boolean(active && region.contains(active) && (active.isContentEditable || active.matches(EDITABLE)));
}

/** Move the forms to keep from the old region into the fresh one, in
 * place of their fresh copies; false (nothing moved) if one has none. */
function keepForms(region, replacement) {
  const kept = formsToKeep(region);
  if (kept.includes(region)) return false;
  const pairs = [];
  for (const form of kept) {
    const fresh = form.id ? replacement.querySelector(`#${CSS.escape(form.id)}`) : null;
    if (!fresh) return false;
    pairs.push([form, fresh]);
  }
  for (const [form, fresh] of pairs) fresh.replaceWith(form);
  return true;
}

function formsToKeep(region) {
  const forms = [...region.querySelectorAll("form")];
  if (region.matches("form")) forms.unshift(region);
  return forms.filter((form) => form.hasAttribute("data-live-keep") || isChanged(form));
}

/** Whether someone changed a control of the form from what the page gave it. */
function isChanged(form) {
  for (const control of form.elements) {
    if (control.type === "hidden" || control.disabled) continue;
    if (control.type === "checkbox" || control.type === "radio") {
      if (control.checked !== control.defaultChecked) return true;
    } else if (control.tagName === "SELECT") {
      if (control.multiple) {
        if ([...control.options].some((option) => option.selected !== option.defaultSelected)) return true;
      } else if (control.selectedIndex !== defaultIndex(control)) {
        return true;
      }
    } else if ("defaultValue" in control && control.value !== control.defaultValue) {
      return true;
    }
  }
  return false;
}

/** The option a single select shows before anyone touches it. */
function defaultIndex(select) {
  let index = select.options.length ? 0 : -1;
  [...select.options].forEach((option, n) => {
    if (option.defaultSelected) index = n;
  });
  return index;
}

/** Enough to find the focused element again in the fresh region. */
function rememberFocus(region) {
  const active = document.activeElement;
  if (!active || active === document.body || !region.contains(active)) return null;
  return { id: active.id, key: elementKey(active) };
}

function restoreFocus(region, focus) {
  if (!focus) return;
  let target = null;
  if (focus.id) {
    target = region.querySelector(`#${CSS.escape(focus.id)}`);
  } else {
    target = [...region.querySelectorAll("a, button, input, select, textarea, summary, [tabindex]")].find(
      (element) => elementKey(element) === focus.key,
    );
  }
  if (target) target.focus({ preventScroll: true });
}

function elementKey(element) {
  return [
    element.tagName,
    element.getAttribute("name"),
    element.getAttribute("value"),
    element.getAttribute("href"),
    element.getAttribute("formaction"),
    (element.closest("form") || {}).action,
    element.textContent.trim(),
  ].join("\u0000");
}

/** A <details> someone opened or closed stays that way when its region is
 * refreshed. Disclosures are matched by id, else by the nearest ancestor
 * with an id and their summary text, never by position: entries move. */
function keepDisclosuresOpen(oldRegion, newRegion) {
  const fresh = disclosureKeys(newRegion);
  for (const [key, details] of disclosureKeys(oldRegion)) {
    const match = fresh.get(key);
    if (match) match.open = details.open;
  }
}

function disclosureKeys(region) {
  const keys = new Map();
  for (const details of region.querySelectorAll("details")) {
    const owner = details.id ? details : details.parentElement && details.parentElement.closest("[id]");
    const summary = details.querySelector("summary");
    const base = [
      owner && region.contains(owner) ? owner.id : "",
      summary ? summary.textContent.trim() : "",
    ].join("\u0000");
    let key = base;
    for (let n = 1; keys.has(key); n += 1) key = `${base}\u0000${n}`;
    keys.set(key, details);
  }
  return keys;
}

const root = document.querySelector("[data-live-events]");
if (
  root &&
  root.getAttribute("data-live-events") &&
  "EventSource" in window &&
  "DOMParser" in window &&
  "fetch" in window
) {
  new LivePage(root).start();
}
