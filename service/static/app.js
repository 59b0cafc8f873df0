// The page's only script: asks /v1/ask, shows cited sentences, opens a citation in its
// document. Every piece of text goes in through textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY = "hoidap-api-key";

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function formatDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

function citationLink(c) {
  const params = new URLSearchParams({ "tai-lieu": c.doc_id, tu: c.start, den: c.end });
  return "#" + params.toString();
}

function setStatus(text, isError) {
  $("status").textContent = text || "";
  $("status").className = isError ? "error" : "";
}

function show(section) {
  for (const id of ["answer", "not-found", "document"]) $(id).hidden = id !== section;
}

async function api(path, options) {
  const headers = Object.assign({}, (options || {}).headers);
  const key = sessionStorage.getItem(KEY);
  if (key) headers.Authorization = "Bearer " + key;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) $("key-row").hidden = false;
  if (!response.ok) throw new Error(body.detail || `Lỗi ${response.status}`);
  return body;
}

function renderAnswer(answer) {
  const sentences = $("sentences");
  const sources = $("sources");
  sentences.replaceChildren();
  sources.replaceChildren();
  $("sources-title").hidden = !answer.answered;
  if (answer.reply) {
    // Chit-chat ("xin chào", "cảm ơn") gets a conversational reply, as in the bot.
    sentences.append(el("p", answer.reply));
    show("answer");
    return;
  }
  if (!answer.answered) {
    $("hint").textContent = answer.hint || "";
    show("not-found");
    return;
  }
  answer.sentences.forEach((c, i) => {
    const n = i + 1;
    if (c.context) sentences.append(el("p", `(Ngữ cảnh: ${c.context})`, { class: "context" }));
    const p = el("p", c.text + " ");
    const sup = el("sup");
    sup.append(el("a", `[${n}]`, { href: citationLink(c), "aria-label": `Nguồn ${n}` }));
    p.append(sup);
    sentences.append(p);

    const li = el("li");
    li.append(el("a", c.title || c.doc_id, { href: citationLink(c), class: "citation" }));
    const details = [formatDate(c.date), c.page ? `trang ${c.page}` : null].filter(Boolean);
    if (details.length) li.append(document.createTextNode(" — " + details.join(", ")));
    sources.append(li);
  });
  show("answer");
}

async function ask(question) {
  const button = $("ask-button");
  button.disabled = true;
  setStatus("Đang tìm câu trả lời…");
  try {
    const answer = await api("/v1/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question }),
    });
    setStatus("");
    if (location.hash) history.pushState(null, "", location.pathname + location.search);
    renderAnswer(answer);
  } catch (error) {
    setStatus(error.message, true);
  } finally {
    button.disabled = false;
  }
}

async function openCitation(params) {
  const docId = params.get("tai-lieu");
  const start = Number(params.get("tu"));
  const end = Number(params.get("den"));
  setStatus("Đang mở tài liệu…");
  try {
    const path = docId.split("/").map(encodeURIComponent).join("/");
    const doc = await api("/v1/documents/" + path);
    // Offsets count Unicode code points, as Python does; JavaScript strings count UTF-16
    // units, so split into code points first.
    const chars = Array.from(doc.text);
    const text = $("doc-text");
    const mark = el("mark", chars.slice(start, end).join(""), { id: "cited" });
    text.replaceChildren(chars.slice(0, start).join(""), mark, chars.slice(end).join(""));
    $("doc-title").textContent = doc.title;
    $("doc-meta").textContent = [formatDate(doc.date), doc.doc_id].filter(Boolean).join(" · ");
    setStatus("");
    show("document");
    mark.scrollIntoView({ block: "center" });
  } catch (error) {
    setStatus(error.message, true);
  }
}

function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("tai-lieu")) {
    openCitation(params);
  } else if (!$("document").hidden) {
    show($("sources").children.length ? "answer" : null);
  }
}

$("ask-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (key) sessionStorage.setItem(KEY, key);
  const question = $("question").value.trim();
  if (question) ask(question);
});
$("question").addEventListener("keydown", (event) => {
  // Enter asks, Shift+Enter starts a new line, as in chat apps.
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("ask-form").requestSubmit();
  }
});
$("back").addEventListener("click", (event) => {
  event.preventDefault();
  history.back();
});
window.addEventListener("hashchange", route);
route();
