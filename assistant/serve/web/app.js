// The chat page: plain JS, no build step, no external resources. Every piece of
// document or answer text is inserted with textContent, never as HTML.
"use strict";

const state = { conversationId: null, docs: new Map() };
const $ = (id) => document.getElementById(id);

// When the server requires API keys, ask for one once and keep it for this tab only.
async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const key = sessionStorage.getItem("apiKey");
  if (key) headers.Authorization = `Bearer ${key}`;
  const r = await fetch(path, { ...options, headers });
  if (r.status === 401) {
    const entered = window.prompt("This assistant needs an API key:");
    if (entered) {
      sessionStorage.setItem("apiKey", entered.trim());
      return api(path, options);
    }
  }
  return r;
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getDocument(id) {
  if (!state.docs.has(id)) {
    const r = await api(`/v1/documents/${encodeURIComponent(id).replace(/%2F/g, "/")}`);
    if (!r.ok) throw new Error((await r.json()).message || r.statusText);
    state.docs.set(id, await r.json());
  }
  return state.docs.get(id);
}

async function showSource(citation) {
  const doc = await getDocument(citation.doc_id);
  $("viewer-title").textContent = doc.title;
  const published = doc.published ? `published ${doc.published} · ` : "";
  $("viewer-meta").textContent = citation.start === undefined
    ? `${published}${doc.length} characters`
    : `${published}[${citation.n}] characters ${citation.start}–${citation.end}`;
  const box = $("viewer-text");
  box.replaceChildren();
  if (citation.start === undefined) {
    box.append(document.createTextNode(doc.text));
  } else {
    const mark = el("mark", { id: "highlight", "data-n": String(citation.n) }, doc.text.slice(citation.start, citation.end));
    box.append(document.createTextNode(doc.text.slice(0, citation.start)), mark,
      document.createTextNode(doc.text.slice(citation.end)));
    mark.scrollIntoView({ block: "center" });
  }
  $("viewer").focus({ preventScroll: true });
}

function citeButton(citation, label) {
  const b = el("button", { type: "button", class: "cite", "aria-label": `Show source ${citation.n}: ${citation.title}` }, label || `[${citation.n}]`);
  b.addEventListener("click", () => showSource(citation).catch((e) => setStatus(e.message)));
  return b;
}

// A piece of the answer text; the quote of citation c in it gets the reader's answer
// span (quote[highlight_start:highlight_end]) in bold.
function appendQuote(p, piece, c) {
  const at = c.highlight_start == null ? -1 : piece.lastIndexOf(c.quote);
  if (at < 0 || c.highlight_end <= c.highlight_start) {
    p.append(document.createTextNode(piece));
    return;
  }
  const start = at + c.highlight_start;
  const end = at + c.highlight_end;
  p.append(
    document.createTextNode(piece.slice(0, start)),
    el("strong", { class: "answer-span" }, piece.slice(start, end)),
    document.createTextNode(piece.slice(end)),
  );
}

// The answer text with each "[n]" marker made a button that opens citation n.
function renderAnswerText(text, citations) {
  const p = el("p", { class: "answer-text" });
  const byN = new Map(citations.map((c) => [c.n, c]));
  let last = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const c = byN.get(Number(m[1]));
    if (!c) continue;
    appendQuote(p, text.slice(last, m.index), c);
    p.append(citeButton(c));
    last = m.index + m[0].length;
  }
  p.append(document.createTextNode(text.slice(last)));
  return p;
}

function renderAnswer(item, body) {
  item.replaceChildren();
  item.className = body.answered ? "turn-a" : "turn-a abstain";
  if (body.searched && body.searched !== body.question) {
    item.append(el("p", { class: "searched" }, `Searched for: ${body.searched}`));
  }
  if (body.conflicts && body.conflicts.length) {
    const w = el("div", { class: "warning", role: "note" }, "Sources disagree: ");
    for (const c of body.conflicts) w.append(document.createTextNode(`${c.note} `));
    item.append(w);
  }
  item.append(renderAnswerText(body.answer, body.citations || []));
  item.append(el("p", { class: "confidence" }, `confidence ${(body.confidence * 100).toFixed(0)}% · ${Math.round(body.latency_ms)} ms`));
  if (!body.answered && body.closest && body.closest.length) {
    item.append(el("p", { class: "meta" }, "Closest passages (they do not answer the question):"));
    const list = el("ol", { class: "closest" });
    for (const c of body.closest) {
      const li = el("li");
      li.append(citeButton(c, `[${c.n}]`), document.createTextNode(` ${c.quote.slice(0, 160)}${c.quote.length > 160 ? "…" : ""}`));
      list.append(li);
    }
    item.append(list);
  }
}

function setStatus(text) { $("status").textContent = text; }

async function ask(question) {
  const log = $("log");
  log.append(el("li", { class: "turn-q" }, question));
  const item = el("li", { class: "turn-a" }, "…");
  log.append(item);
  setStatus("Searching the documents…");
  $("send").disabled = true;
  try {
    const payload = { message: question };
    if (state.conversationId) payload.conversation_id = state.conversationId;
    const r = await api("/v1/chat", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    const body = await r.json();
    if (!r.ok) {
      item.textContent = body.message || `Error ${r.status}`;
      item.className = "turn-a abstain";
      if (r.status === 404) state.conversationId = null;
      setStatus("");
      return;
    }
    state.conversationId = body.conversation_id;
    body.question = question;
    renderAnswer(item, body);
    setStatus(body.answered ? "" : "The documents do not answer this question.");
  } catch (e) {
    item.textContent = `Could not reach the server: ${e.message}`;
    setStatus("");
  } finally {
    $("send").disabled = false;
    item.scrollIntoView({ block: "nearest" });
  }
}

async function loadDocuments() {
  const r = await api("/v1/documents");
  if (!r.ok) return;
  const list = $("documents");
  for (const d of await r.json()) {
    const li = el("li");
    const b = el("button", { type: "button" }, d.title);
    b.addEventListener("click", () => showSource({ doc_id: d.id }).catch((e) => setStatus(e.message)));
    li.append(b);
    list.append(li);
  }
}

$("ask").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = $("question").value.trim();
  if (!q) return;
  $("question").value = "";
  ask(q);
});
$("question").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("ask").requestSubmit();
  }
});
$("new-chat").addEventListener("click", () => {
  state.conversationId = null;
  $("log").replaceChildren();
  $("question").focus();
});
loadDocuments();
$("question").focus();
