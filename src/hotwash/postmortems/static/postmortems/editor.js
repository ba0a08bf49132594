/**
 * The postmortem editor, enhanced. Progressive enhancement: every section is
 * a plain form that works without this file; no build step, no dependencies.
 *
 * With it:
 *  - Save sends the section without reloading the page (the server answers
 *    JSON when asked with Accept: application/json). A conflict (someone else
 *    saved meanwhile) swaps in the server-rendered section showing both
 *    versions, exactly as without JavaScript; nothing typed is lost.
 *  - Preview shows the server's safe rendering under the text.
 *  - The blameless-language check runs while typing (debounced POST to
 *    /api/v1/lint) and lists each finding under the text: the flagged words
 *    in context, why, and a suggested rewrite, with a button that selects
 *    the words in the text. The count is announced politely.
 *  - The flagged words are also highlighted in the text box itself, by a
 *    mirror drawn behind the (transparent) textarea. The mirror is
 *    aria-hidden: the findings list is what assistive technology reads.
 *  - The five-whys helper gets an "Add to the text" button.
 *
 * The server writes every sentence shown here into #pm-editor-config, so it
 * is in the reader's language.
 */

const LINT_DELAY_MS = 700;
const CONTEXT_CHARS = 40;

const configElement = document.getElementById("pm-editor-config");
const config = configElement ? JSON.parse(configElement.textContent) : null;

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

function csrfToken(form) {
  const input = form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

/** Python counts code points; JavaScript strings count UTF-16 units. */
function toUtf16Offset(text, codePoints) {
  let units = 0;
  let seen = 0;
  for (const char of text) {
    if (seen === codePoints) break;
    units += char.length;
    seen += 1;
  }
  return units;
}

class SectionEditor {
  constructor(section) {
    this.section = section;
    this.form = section.querySelector("form[data-section-form]");
    this.textarea = this.form.querySelector("textarea[name=body]");
    this.status = section.querySelector("[data-save-status]");
    this.preview = this.form.querySelector("[data-preview]");
    this.lintSummary = this.form.querySelector("[data-lint-summary]");
    this.lintList = this.form.querySelector("[data-lint-list]");
    this.lintTimer = 0;
    this.lintSequence = 0;
    this.linted = null;
    this.saved = this.textarea.value;
  }

  /** Typed but not saved yet: leaving the page would lose it. */
  get dirty() {
    return this.textarea.value !== this.saved;
  }

  start() {
    this.mirror = new Mirror(this.textarea);
    this.form.addEventListener("submit", (event) => this.onSubmit(event));
    this.textarea.addEventListener("input", () => this.scheduleLint());
    // Ctrl+S / Cmd+S saves this section, as in most editors.
    this.textarea.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        this.insertWhys();
        this.save();
      }
    });
    this.textarea.addEventListener("focus", () => {
      if (this.linted === null) this.lint();
    });
    if (this.textarea.value.trim()) this.lint();
    const insert = this.form.querySelector("[data-whys-insert]");
    if (insert) {
      insert.hidden = false;
      insert.addEventListener("click", () => {
        this.insertWhys();
        this.textarea.focus();
      });
    }
  }

  onSubmit(event) {
    event.preventDefault();
    const intent = event.submitter ? event.submitter.value : "save";
    if (intent === "preview") {
      this.showPreview();
    } else {
      this.insertWhys();
      this.save();
    }
  }

  say(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("is-error", isError);
  }

  /** The five answers as a numbered list at the end of the text. */
  insertWhys() {
    const inputs = [...this.form.querySelectorAll("input[name^=why_]")];
    const answers = inputs.map((input) => input.value.trim().replace(/\s+/g, " ")).filter(Boolean);
    if (!answers.length) return;
    const list = answers.map((answer, index) => `${index + 1}. ${answer}`).join("\n");
    const block = `**${config.fiveWhysHeading}**\n\n${list}\n`;
    const current = this.textarea.value.replace(/\s+$/, "");
    this.textarea.value = current ? `${current}\n\n${block}` : block;
    inputs.forEach((input) => {
      input.value = "";
    });
    this.scheduleLint(0);
  }

  async save() {
    this.say(config.text.saving);
    const data = new FormData(this.form);
    data.set("intent", "save");
    let response;
    try {
      response = await fetch(this.form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken(this.form) },
        credentials: "same-origin",
      });
    } catch (error) {
      this.say(format(config.text.saveFailed, { reason: error.message }), true);
      return;
    }
    let body = {};
    try {
      body = await response.json();
    } catch (error) {
      body = { message: response.statusText };
    }
    // A signed-out session answers with the sign-in page (200, not JSON):
    // only a version number means the text was saved.
    if (response.ok && typeof body.version === "number") {
      this.form.querySelector("input[name=base_version]").value = body.version;
      this.saved = data.get("body");
      this.say(body.message || config.text.saved);
      return;
    }
    if (response.status === 409 && body.html) {
      this.replaceWith(body.html);
      return;
    }
    this.say(format(config.text.saveFailed, { reason: body.message || response.statusText }), true);
  }

  /** The server's rendering of the conflict: both versions, the author's
   * text still in the editor, based on the other version. */
  replaceWith(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.firstElementChild;
    this.section.replaceWith(fresh);
    const editor = new SectionEditor(fresh);
    // Their text is saved; the author's merge in the editor is not.
    editor.saved = null;
    EDITORS.splice(EDITORS.indexOf(this), 1, editor);
    editor.start();
    const alert = fresh.querySelector("[role=alert]");
    if (alert) {
      alert.tabIndex = -1;
      alert.focus();
    }
  }

  async showPreview() {
    const data = new FormData();
    data.set("text", this.textarea.value);
    try {
      const response = await fetch(config.previewUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": csrfToken(this.form) },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(response.statusText);
      // Server-rendered and sanitised (markdown-it without raw HTML, then nh3).
      const html = await response.text();
      this.preview.replaceChildren();
      const label = document.createElement("p");
      label.className = "pm-preview__label";
      label.textContent = config.text.previewHeading;
      const template = document.createElement("template");
      template.innerHTML = html;
      this.preview.append(label, template.content);
    } catch (error) {
      this.preview.textContent = config.text.previewFailed;
    }
  }

  scheduleLint(delay = LINT_DELAY_MS) {
    window.clearTimeout(this.lintTimer);
    this.lintTimer = window.setTimeout(() => this.lint(), delay);
  }

  async lint() {
    const text = this.textarea.value;
    if (text === this.linted) return;
    const sequence = ++this.lintSequence;
    let findings;
    try {
      const response = await fetch(config.lintUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(this.form),
        },
        credentials: "same-origin",
        // Without names: the server knows every account's name.
        body: JSON.stringify({ text, language: config.language }),
      });
      if (!response.ok) return;
      findings = (await response.json()).findings;
    } catch (error) {
      return; // advice only: a failed check never gets in the way of writing
    }
    if (sequence !== this.lintSequence) return; // a newer check is on its way
    this.linted = text;
    this.showFindings(text, findings);
  }

  showFindings(text, findings) {
    this.lintList.replaceChildren();
    this.mirror.show(
      text,
      findings.map((f) => [toUtf16Offset(text, f.start), toUtf16Offset(text, f.end)]),
    );
    this.lintList.hidden = findings.length === 0;
    this.section.classList.toggle("has-findings", findings.length > 0);
    if (!findings.length) {
      // Only worth saying when it changes from "some" to "none".
      this.lintSummary.textContent = this.hadFindings ? config.text.noFindings : "";
      this.hadFindings = false;
      return;
    }
    this.hadFindings = true;
    this.lintSummary.textContent = findings.length === 1
        ? config.text.findingsOne
        : format(config.text.findingsMany, { count: findings.length });
    for (const finding of findings) {
      this.lintList.append(this.findingItem(text, finding));
    }
  }

  findingItem(text, finding) {
    const start = toUtf16Offset(text, finding.start);
    const end = toUtf16Offset(text, finding.end);
    const item = document.createElement("li");
    item.className = "pm-lint__item";
    item.dataset.rule = finding.rule;

    const context = document.createElement("p");
    context.className = "pm-lint__context";
    const before = text.slice(Math.max(0, start - CONTEXT_CHARS), start);
    const after = text.slice(end, end + CONTEXT_CHARS);
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    context.append(
      (start > CONTEXT_CHARS ? "…" : "") + before,
      mark,
      after + (end + CONTEXT_CHARS < text.length ? "…" : ""),
    );

    const message = document.createElement("p");
    message.textContent = finding.message;

    const suggestion = document.createElement("p");
    suggestion.className = "pm-lint__suggestion";
    const label = document.createElement("strong");
    label.textContent = config.text.suggestion;
    suggestion.append(label, " ", finding.suggestion);

    const show = document.createElement("button");
    show.type = "button";
    show.className = "button button--small";
    show.textContent = config.text.showInText;
    show.addEventListener("click", () => {
      this.textarea.focus();
      this.textarea.setSelectionRange(start, end);
    });

    item.append(context, message, suggestion, show);
    return item;
  }
}

/** Highlights behind a textarea: a div with the same box and font, the same
 * text made invisible, and <mark>s where the findings are. Kept in step on
 * typing (cleared until the next check), scrolling and resizing. */
class Mirror {
  static COPIED = [
    "fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing", "wordSpacing",
    "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
    "borderTopWidth", "borderRightWidth", "borderBottomWidth", "borderLeftWidth",
    "textIndent", "tabSize",
  ];

  constructor(textarea) {
    this.textarea = textarea;
    this.wrap = document.createElement("div");
    this.wrap.className = "pm-mirror-wrap";
    this.layer = document.createElement("div");
    this.layer.className = "pm-mirror";
    this.layer.setAttribute("aria-hidden", "true");
    textarea.before(this.wrap);
    this.wrap.append(this.layer, textarea);
    textarea.classList.add("pm-mirrored");
    textarea.addEventListener("scroll", () => this.syncScroll());
    textarea.addEventListener("input", () => this.layer.replaceChildren());
    if (window.ResizeObserver) new ResizeObserver(() => this.syncBox()).observe(textarea);
    this.syncBox();
  }

  syncBox() {
    const style = window.getComputedStyle(this.textarea);
    for (const name of Mirror.COPIED) this.layer.style[name] = style[name];
    // The textarea's own scrollbar narrows its text; clientWidth excludes it.
    const borders = parseFloat(style.borderLeftWidth) + parseFloat(style.borderRightWidth);
    this.layer.style.width = `${this.textarea.clientWidth + borders}px`;
    this.layer.style.height = `${this.textarea.offsetHeight}px`;
    this.syncScroll();
  }

  syncScroll() {
    this.layer.scrollTop = this.textarea.scrollTop;
    this.layer.scrollLeft = this.textarea.scrollLeft;
  }

  show(text, spans) {
    const parts = [];
    let at = 0;
    for (const [start, end] of spans) {
      if (start < at) continue; // overlapping findings: the first one wins
      parts.push(text.slice(at, start));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(start, end);
      parts.push(mark);
      at = end;
    }
    // A trailing newline needs something after it to take up its line.
    parts.push(text.slice(at) + "\u200b");
    this.layer.replaceChildren(...parts);
    this.syncBox();
  }
}

const EDITORS = [];

if (config) {
  for (const section of document.querySelectorAll("[data-section]")) {
    if (!section.querySelector("form[data-section-form]")) continue;
    const editor = new SectionEditor(section);
    EDITORS.push(editor);
    editor.start();
  }
  // Sections save one at a time: warn before leaving with unsaved text.
  window.addEventListener("beforeunload", (event) => {
    if (EDITORS.some((editor) => editor.dirty)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
}
