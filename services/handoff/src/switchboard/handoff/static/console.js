// Agent console: plain DOM, no framework, no CDN. All text goes in through textContent (never innerHTML).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { me: null, selected: null, events: null, queue: null, loading: false };
const CHANNELS = { web: "Web", wechat: "WeChat", voice: "Phone" };
// The label of a bot answer's knowledge-base sources, in the language the answer is written in.
const SOURCES = { zh: ["来源：", "，"], en: ["Source: ", ", "] };
const MAX_SOURCES = 3;

async function api(path, body) {
  const options = { credentials: "same-origin", headers: { "X-Console": "1" } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch("/console/api/" + path, options);
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "login") { showLogin(); }
  if (!response.ok) { throw new Error(data.error || response.statusText); }
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function since(iso) {
  if (!iso) return "";
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  return s < 60 ? s + "s" : Math.floor(s / 60) + "m " + (s % 60) + "s";
}

function showLogin() {
  if (state.events) { state.events.close(); state.events = null; }
  $("app").hidden = true;
  $("login").hidden = false;
}

async function showApp(me) {
  state.me = me;
  $("login").hidden = true;
  $("app").hidden = false;
  $("tenant-name").textContent = (me.tenant.name.en || me.tenant.id) + " · " + (me.tenant.name.zh || "");
  $("me-name").textContent = me.name + (me.role === "supervisor" ? " (supervisor)" : "");
  $("accept-next").hidden = me.role !== "agent";
  $("floor").hidden = me.role !== "supervisor";
  connect();
  await refreshQueue();
  await refreshFloor();
}

function duration(seconds) {
  if (!seconds) return "0s";
  return seconds < 60 ? Math.round(seconds) + "s" : Math.floor(seconds / 60) + "m " + Math.round(seconds % 60) + "s";
}

const SVG = "http://www.w3.org/2000/svg";

function percent(rate) { return Math.round(rate * 100) + "%"; }

function barList(target, rows, empty) {
  target.replaceChildren();
  for (const [label, valueText, share] of rows) {
    const li = el("li");
    li.append(el("span", "", label));
    li.append(el("span", "", valueText));
    const track = el("div", "track");
    const fill = el("div", "fill");
    fill.style.width = Math.round(share * 100) + "%";
    track.append(fill);
    li.append(track);
    target.append(li);
  }
  if (!target.children.length) target.append(el("li", "muted", empty));
}

function hourlyChart(svg, hours) {
  svg.replaceChildren();
  const peak = Math.max(1, ...hours.map((h) => h.conversations));
  const width = 240 / hours.length;
  hours.forEach((hour, i) => {
    for (const [kind, value, inset] of [["conversations", hour.conversations, 1], ["handoffs", hour.handoffs, 3]]) {
      if (!value) continue;
      const height = Math.max(2, (value / peak) * 60);
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("class", kind);
      rect.setAttribute("x", String(i * width + inset));
      rect.setAttribute("width", String(Math.max(1, width - 2 * inset)));
      rect.setAttribute("y", String(64 - height));
      rect.setAttribute("height", String(height));
      const title = document.createElementNS(SVG, "title");
      title.textContent = hour.hour.slice(11, 16) + " UTC · " + value + " " + kind;
      rect.append(title);
      svg.append(rect);
    }
  });
}

function outcomes(f) {
  const parts = [["automated", f.automated_settled, "automated"], ["pending", f.pending, "bot-only, under 24 h"],
                 ["recontacted", f.recontacted, "came back"], ["handed_off", f.handoffs, "handed off"]];
  const bar = $("outcome-bar");
  const legend = $("outcome-legend");
  bar.replaceChildren();
  legend.replaceChildren();
  for (const [kind, n, label] of parts) {
    if (f.conversations && n) {
      const part = el("div", kind);
      part.style.width = (n / f.conversations) * 100 + "%";
      part.title = label + ": " + n;
      bar.append(part);
    }
    const item = el("li");
    item.append(el("span", "swatch " + kind));
    item.append(document.createTextNode(label + " " + n));
    legend.append(item);
  }
}

async function refreshFloor() {
  if (!state.me || state.me.role !== "supervisor") return;
  try {
    const f = await api("floor");
    $("kpi-automation").textContent = f.conversations ? percent(f.automation_rate) : "–";
    $("kpi-automation-note").textContent = f.conversations ? "settled " + percent(f.automation_rate_settled) : "";
    $("kpi-csat").textContent = f.csat_average === null ? "–" : f.csat_average.toFixed(1);
    $("kpi-csat-note").textContent = f.csat_responses ? f.csat_responses + " answers" : "";
    $("kpi-wait").textContent = duration(f.waiting_s.average);
    $("kpi-wait-note").textContent = f.waiting_s.count ? "median " + duration(f.waiting_s.median) : "";
    $("kpi-handle").textContent = duration(f.handling_s.average);
    $("kpi-handle-note").textContent = f.handling_s.count ? "median " + duration(f.handling_s.median) : "";
    hourlyChart($("hourly-chart"), f.hourly);
    outcomes(f);
    barList($("reason-bars"), Object.entries(f.handoff_rate_by_reason).map(([reason, rate]) =>
      [reason.toLowerCase().replace(/_/g, " "), percent(rate), rate]), "No handoffs");
    const answers = Math.max(1, f.csat_responses);
    barList($("csat-bars"), Object.entries(f.csat_distribution).reverse().filter(([, n]) => n).map(([score, n]) =>
      ["★".repeat(Number(score)), String(n), n / answers]), "No answers yet");
    $("floor-now").textContent = (f.recovering ? "catching up with the stream · " : "") + f.conversations +
      (f.conversations === 1 ? " conversation · " : " conversations · ") + f.waiting_now + " waiting now · " +
      f.agents_online + " agents online";
  } catch (error) { $("floor-now").textContent = error.message; }
}

function connect() {
  if (state.events) state.events.close();
  const source = new EventSource("/console/api/events", { withCredentials: true });
  source.onopen = () => setPresence(true);
  source.onerror = () => setPresence(false);
  source.onmessage = (message) => {
    const update = JSON.parse(message.data);
    if (update.type === "queue") { refreshQueue(); refreshFloor(); }
    if (update.type === "entry" && state.selected && state.selected.conversation_id === update.conversation_id) openChat(state.selected.id);
  };
  state.events = source;
}

function setPresence(online) {
  $("presence").classList.toggle("offline", !online);
  $("presence-text").textContent = online ? "online" : "reconnecting…";
}

function handoffItem(h, waiting) {
  const li = el("li");
  li.dataset.id = h.id;
  if (state.selected && state.selected.id === h.id) li.classList.add("active");
  const top = el("div", "row");
  const cid = el("span", "cid", "Customer " + (h.customer_id || h.conversation_id).slice(0, 12));
  cid.title = h.customer_id;
  top.append(cid);
  const prio = el("span", "prio" + (h.priority >= 35 ? " high" : ""), "P" + (waiting ? h.effective_priority : h.priority));
  top.append(prio);
  li.append(top);
  const meta = el("div", "row muted");
  meta.append(el("span", "", (CHANNELS[h.channel_name] || h.channel_name || "") + " · " + (h.language || "") + " · " + h.queue));
  meta.append(el("span", "", waiting ? "waiting " + since(h.queued_at) : since(h.assigned_at)));
  li.append(meta);
  const tags = el("div", "tags");
  for (const reason of h.reasons || []) tags.append(el("span", "tag reason", reason.toLowerCase().replace(/_/g, " ")));
  li.append(tags);
  li.addEventListener("click", () => openChat(h.id));
  return li;
}

function fillList(list, items, waiting, emptyText) {
  list.replaceChildren();
  if (!items.length) list.append(el("li", "empty-row", emptyText));
  for (const h of items) list.append(handoffItem(h, waiting));
}

async function refreshQueue() {
  try {
    const data = await api("queue");
    state.queue = data;
    fillList($("waiting"), data.waiting, true, "Nobody is waiting");
    fillList($("mine"), data.mine, false, "No chats in hand");
    $("waiting-count").textContent = data.waiting.length;
    $("mine-count").textContent = data.mine.length;
    const team = $("team");
    team.replaceChildren();
    for (const a of data.agents) {
      const li = el("li");
      li.append(el("span", "", a.name + (a.id === state.me.agent_id ? " (you)" : "")));
      li.append(el("span", "tag", a.presence + " · " + a.active + "/" + a.capacity));
      team.append(li);
    }
    fillTransferTargets(data);
  } catch (error) { $("chat-error").textContent = error.message; }
}

function fillTransferTargets(data) {
  const select = $("transfer-target");
  select.replaceChildren();
  for (const q of data.queues) { const o = el("option", "", "Queue: " + q); o.value = "queue:" + q; select.append(o); }
  for (const a of data.agents) {
    if (a.id === state.me.agent_id || a.presence !== "online") continue;
    const o = el("option", "", "Agent: " + a.name); o.value = "agent:" + a.id; select.append(o);
  }
}

async function openChat(id) {
  if (state.loading) return;
  state.loading = true;
  try {
    const data = await api("handoffs/" + encodeURIComponent(id));
    state.selected = { ...data.handoff };
    renderChat(data);
    for (const li of document.querySelectorAll(".list li")) li.classList.toggle("active", li.dataset.id === id);
  } catch (error) {
    $("chat-error").textContent = error.message;
  } finally { state.loading = false; }
}

function renderChat(data) {
  const h = data.handoff;
  const mine = h.state === "assigned" && h.agent_id === state.me.agent_id;
  $("chat-empty").hidden = true;
  $("chat-body").hidden = false;
  $("chat-error").textContent = "";
  $("chat-title").textContent = "Customer " + (h.customer_id || "").slice(0, 12);
  $("chat-title").title = "customer " + h.customer_id + " · conversation " + h.conversation_id;
  $("chat-meta").textContent = [CHANNELS[h.channel_name] || h.channel_name, h.language, "queue " + h.queue, h.state + (h.agent_name ? " · " + h.agent_name : "")].join(" · ");
  $("accept-this").hidden = !(h.state === "queued" && state.me.role === "agent");
  for (const id of ["csat", "transfer", "resolve", "transfer-target", "send", "reply-text"]) $(id).disabled = !mine;
  const list = $("transcript");
  list.replaceChildren();
  for (const entry of data.transcript) {
    const li = el("li", "msg " + entry.speaker + (entry.current ? "" : " other"));
    const who = entry.speaker === "agent" ? entry.agent_name || "agent" : entry.speaker === "note" ? "note · " + (entry.agent_name || "") : entry.speaker;
    const label = el("span", "who", who + " · " + (CHANNELS[entry.channel] || entry.channel || "") + " · " + new Date(entry.at).toLocaleTimeString());
    if (entry.emotion) label.append(el("span", "emo " + entry.emotion, entry.emotion.toLowerCase()));
    li.append(label);
    li.append(el("span", "text", entry.text));
    if (entry.speaker === "bot") sources(li, entry.citations, entry.language || h.language);
    list.append(li);
  }
  list.scrollTop = list.scrollHeight;
  renderBrief(data.brief);
  if (mine) loadSuggestions(h.id); else $("suggestions").replaceChildren();
}

// A footnote under a bot answer: each cited section's title once, at most three; none without citations.
function sources(li, citations, language) {
  const titles = [...new Set((citations || []).map((c) => c.title || c.source).filter(Boolean))].slice(0, MAX_SOURCES);
  if (!titles.length) return;
  const [label, separator] = SOURCES[language === "mixed" ? "zh" : language] || SOURCES.en;
  const note = el("span", "sources");
  note.append(el("span", "sources-label", label));
  titles.forEach((title, i) => {
    if (i) note.append(document.createTextNode(separator));
    const source = el("span", "source", title);
    const cited = citations.find((c) => (c.title || c.source) === title);
    if (cited && cited.source) source.title = cited.source;
    note.append(source);
  });
  li.append(note);
}

function renderBrief(brief) {
  $("summary").textContent = brief.summary || "—";
  const reasons = $("reasons");
  reasons.replaceChildren();
  for (const r of brief.reasons) reasons.append(el("span", "tag reason", r.toLowerCase().replace(/_/g, " ")));
  const facts = $("facts");
  facts.replaceChildren();
  const rows = Object.entries(brief.facts);
  if (brief.issue) rows.unshift(["issue", brief.issue]);
  if (!rows.length) facts.append(el("dd", "muted", "None found yet"));
  for (const [k, v] of rows) { facts.append(el("dt", "", k.replace(/_/g, " "))); facts.append(el("dd", "", v)); }
  const emotions = $("emotions");
  emotions.replaceChildren();
  for (const e of brief.emotions) {
    const bar = el("div", "bar " + e.label);
    const weight = e.label === "NEUTRAL" || e.label === "SATISFIED" ? 0.35 : 0.35 + 0.65 * (e.score || 0);
    bar.style.height = Math.round(weight * 100) + "%";
    bar.title = e.label + " " + (e.score || 0);
    emotions.append(bar);
  }
  if (!brief.emotions.length) emotions.append(el("span", "muted", "No readings yet"));
  const latest = brief.emotions[brief.emotions.length - 1];
  $("emotion-now").textContent = latest ? "Now: " + latest.label.toLowerCase() + " · " + brief.emotions.length + " readings" : "";
  const tried = $("tried");
  tried.replaceChildren();
  for (const t of brief.tried) tried.append(el("li", "", t));
  if (!brief.tried.length) tried.append(el("li", "", "Nothing yet"));
}

async function loadSuggestions(id) {
  const box = $("suggestions");
  box.replaceChildren(el("span", "muted", "Loading suggestions…"));
  try {
    const data = await api("handoffs/" + encodeURIComponent(id) + "/suggestions");
    box.replaceChildren();
    if (!data.available) box.append(el("span", "muted", "Suggestions unavailable (assistant offline)"));
    for (const text of data.suggestions) {
      const button = el("button", "suggestion", text);
      button.prepend(el("span", "suggestion-label", "Suggested"));
      button.type = "button";
      button.addEventListener("click", () => { $("reply-text").value = text; $("reply-text").focus(); });
      box.append(button);
    }
  } catch (error) { box.replaceChildren(el("span", "muted", "Suggestions unavailable")); }
}

async function act(path, body) {
  $("chat-error").textContent = "";
  try { return await api(path, body || {}); } catch (error) { $("chat-error").textContent = error.message; return null; }
}

function wire() {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      const me = await api("login", { tenant: $("login-tenant").value.trim(), agent_id: $("login-agent").value.trim(), password: $("login-password").value });
      $("login-password").value = "";
      await showApp(me);
    } catch (error) { $("login-error").textContent = error.message; }
  });
  $("logout").addEventListener("click", async () => { await act("logout"); state.selected = null; showLogin(); });
  $("accept-next").addEventListener("click", async () => {
    const data = await act("handoffs/next");
    if (data) { await refreshQueue(); await openChat(data.handoff.id); }
  });
  $("accept-this").addEventListener("click", async () => {
    const data = await act("handoffs/" + encodeURIComponent(state.selected.id) + "/accept");
    if (data) { await refreshQueue(); await openChat(data.handoff.id); }
  });
  $("composer").addEventListener("change", () => {
    $("composer").classList.toggle("note", document.querySelector("input[name=mode]:checked").value === "note");
  });
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text || !state.selected) return;
    const note = document.querySelector("input[name=mode]:checked").value === "note";
    const id = encodeURIComponent(state.selected.id);
    const body = note ? { text } : { text, client_id: crypto.randomUUID() };
    if (await act("handoffs/" + id + (note ? "/note" : "/reply"), body)) { $("reply-text").value = ""; openChat(state.selected.id); }
  });
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("composer").requestSubmit();
  });
  $("csat").addEventListener("click", async () => { if (await act("handoffs/" + encodeURIComponent(state.selected.id) + "/csat")) openChat(state.selected.id); });
  $("transfer").addEventListener("click", async () => {
    const [kind, target] = $("transfer-target").value.split(":");
    const body = kind === "queue" ? { queue: target } : { agent_id: target };
    if (await act("handoffs/" + encodeURIComponent(state.selected.id) + "/transfer", body)) { await refreshQueue(); openChat(state.selected.id); }
  });
  $("resolve").addEventListener("click", async () => {
    if (await act("handoffs/" + encodeURIComponent(state.selected.id) + "/resolve")) {
      state.selected = null;
      $("chat-body").hidden = true;
      $("chat-empty").hidden = false;
      await refreshQueue();
    }
  });
  setInterval(() => { if (state.queue) { refreshQueue(); refreshFloor(); } }, 15000);
  // The floor's figures come from a stream that lags the queue events a little: refresh it more often.
  setInterval(() => { if (state.queue) refreshFloor(); }, 5000);
}

document.addEventListener("DOMContentLoaded", async () => {
  wire();
  try { await showApp(await api("me")); } catch (error) { showLogin(); }
});
