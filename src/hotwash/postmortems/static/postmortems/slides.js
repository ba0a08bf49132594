/**
 * A postmortem's slides, one at a time. Progressive enhancement: without
 * this file every slide is shown one under the other; no build step, no
 * dependencies.
 *
 * With it:
 *  - One slide at a time; the address keeps its number (#slide-3), so a
 *    reload or a shared link opens the same slide.
 *  - Keys: right or down arrow and Page Down for the next slide, left or up
 *    arrow and Page Up for the previous one, Home and End for the first and
 *    last, P for the presenter's view, Escape to leave the presenter's view
 *    or, outside it, to go back to the postmortem. The new slide takes the
 *    focus (so a screen reader reads it) and is announced politely.
 *  - The presenter's view (also ?presenter=1): the current slide with its
 *    notes, and a preview of the next slide. Two windows of the same deck
 *    (the audience's and the presenter's) follow each other's slide.
 *
 * The server writes every sentence shown here into #deck-config, so it is
 * in the reader's language. Printing shows every slide (slides.css).
 */

const deck = document.querySelector("[data-deck]");
const configElement = document.getElementById("deck-config");
const config = configElement ? JSON.parse(configElement.textContent) : {};

function format(template, values) {
  return String(template || "").replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

/** The slide number the address names (#slide-3), as an index. */
function indexFromHash(count) {
  const match = /^#slide-(\d+)$/.exec(window.location.hash);
  const number = match ? Number(match[1]) : 1;
  return Math.min(Math.max(number, 1), count) - 1;
}

/** A copy of a slide's content to preview, with nothing that could clash
 * with the page (ids, headings) and nothing to focus. */
function preview(frame) {
  const copy = frame.cloneNode(true);
  for (const element of copy.querySelectorAll("[id]")) element.removeAttribute("id");
  for (const heading of copy.querySelectorAll("h2")) {
    const title = document.createElement("p");
    title.className = heading.className;
    title.textContent = heading.textContent;
    heading.replaceWith(title);
  }
  copy.removeAttribute("data-frame");
  copy.inert = true;
  return copy;
}

class Deck {
  constructor(root) {
    this.root = root;
    this.slides = Array.from(root.querySelectorAll("section.slide"));
    this.position = root.querySelector("[data-position]");
    this.announcer = root.querySelector("[data-announce]");
    this.toggle = root.querySelector("[data-presenter-toggle]");
    this.panel = root.querySelector("[data-presenter-panel]");
    this.nextPreview = root.querySelector("[data-next-preview]");
    this.exitUrl = root.dataset.exitUrl;
    this.index = 0;
    this.presenting = new URLSearchParams(window.location.search).get("presenter") === "1";
    this.channel =
      "BroadcastChannel" in window ? new BroadcastChannel(`hotwash-slides-${root.dataset.deck}`) : null;
  }

  start() {
    if (!this.slides.length) return;
    document.body.classList.add("is-enhanced");
    for (const element of this.root.querySelectorAll("[data-go], [data-position], [data-keys], [data-presenter-toggle]")) {
      element.hidden = false;
    }
    this.root.querySelector("[data-go=previous]").addEventListener("click", () => this.go(this.index - 1));
    this.root.querySelector("[data-go=next]").addEventListener("click", () => this.go(this.index + 1));
    this.toggle.addEventListener("click", () => this.setPresenting(!this.presenting, { announce: true }));
    document.addEventListener("keydown", (event) => this.onKey(event));
    window.addEventListener("hashchange", () => this.go(indexFromHash(this.slides.length), { focus: true }));
    if (this.channel) {
      this.channel.addEventListener("message", (event) => {
        if (Number.isInteger(event.data?.index)) this.go(event.data.index, { broadcast: false });
      });
    }
    this.setPresenting(this.presenting);
    this.go(indexFromHash(this.slides.length), { broadcast: false, announce: false });
  }

  onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    const actions = {
      ArrowRight: () => this.go(this.index + 1, { focus: true }),
      ArrowDown: () => this.go(this.index + 1, { focus: true }),
      PageDown: () => this.go(this.index + 1, { focus: true }),
      ArrowLeft: () => this.go(this.index - 1, { focus: true }),
      ArrowUp: () => this.go(this.index - 1, { focus: true }),
      PageUp: () => this.go(this.index - 1, { focus: true }),
      Home: () => this.go(0, { focus: true }),
      End: () => this.go(this.slides.length - 1, { focus: true }),
      Escape: () => this.leave(),
      p: () => this.setPresenting(!this.presenting, { announce: true }),
      P: () => this.setPresenting(!this.presenting, { announce: true }),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  /** Escape: out of the presenter's view, else back to the postmortem. */
  leave() {
    if (this.presenting) {
      this.setPresenting(false, { announce: true });
    } else {
      window.location.assign(this.exitUrl);
    }
  }

  go(wanted, { focus = false, broadcast = true, announce = true } = {}) {
    const index = Math.min(Math.max(wanted, 0), this.slides.length - 1);
    const moved = index !== this.index;
    this.index = index;
    this.slides.forEach((slide, number) => {
      slide.hidden = number !== index;
    });
    const slide = this.slides[index];
    const values = {
      current: index + 1,
      total: this.slides.length,
      title: slide.querySelector(".slide__title").textContent.trim(),
    };
    this.position.textContent = format(config.position, values);
    const hash = `#slide-${index + 1}`;
    if (window.location.hash !== hash) {
      window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}${hash}`);
    }
    this.showNext();
    // Without scrolling: the bar above the slide stays in view.
    if (focus) slide.focus({ preventScroll: true });
    if (announce && (moved || focus)) this.say(format(config.announce, values));
    if (broadcast && this.channel) this.channel.postMessage({ index });
  }

  showNext() {
    if (!this.presenting) return;
    const next = this.slides[this.index + 1];
    if (next) {
      this.nextPreview.replaceChildren(preview(next.querySelector("[data-frame]")));
    } else {
      const last = document.createElement("p");
      last.className = "presenter__end";
      last.textContent = config.lastSlide || "";
      this.nextPreview.replaceChildren(last);
    }
  }

  setPresenting(on, { announce = false } = {}) {
    this.presenting = on;
    document.body.classList.toggle("is-presenter", on);
    this.panel.hidden = !on;
    this.toggle.setAttribute("aria-pressed", on ? "true" : "false");
    const url = new URL(window.location.href);
    if (on) url.searchParams.set("presenter", "1");
    else url.searchParams.delete("presenter");
    window.history.replaceState(null, "", url);
    this.showNext();
    if (announce) this.say(on ? config.presenterOn : config.presenterOff);
  }

  say(text) {
    // Emptied first, so the same sentence twice is read twice.
    this.announcer.textContent = "";
    window.setTimeout(() => {
      this.announcer.textContent = text;
    }, 50);
  }
}

if (deck) new Deck(deck).start();
