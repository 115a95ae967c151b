/* Switchboard web chat widget. Paste on any allowed page:
 *   <script src="https://chat.example.com/chat/widget.js" data-tenant="demo" async></script>
 * Optional: data-lang="zh|en", data-open="true", data-server="https://chat.example.com".
 * Everything shown is set with textContent: customer and bot text is never parsed as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  var data = (script && script.dataset) || {};
  var server = (data.server || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var tenant = data.tenant || "demo";
  var STRINGS = {
    zh: { title: "在线客服", online: "在线", connecting: "正在连接…", offline: "连接已断开，正在重试…",
          placeholder: "输入消息…", send: "发送", you: "我", bot: "智能助手", agent: "客服",
          queued: function (p, w) { return "正在为您转接人工客服，前面还有 " + p + " 位" + (w ? "，预计等待 " + Math.max(1, Math.round(w / 60)) + " 分钟" : "") + "。"; },
          assigned: function (n) { return "已为您接通人工客服 " + n; }, sending: "发送中…", sent: "已送达",
          failed: "发送失败", welcome: "您好！有什么可以帮您？订单、退换货、发票都可以问我。", powered: "由 Switchboard 提供支持",
          open: "打开在线客服", close: "关闭", sources: "来源：", separator: "，" },
    en: { title: "Customer support", online: "Online", connecting: "Connecting…", offline: "Connection lost, retrying…",
          placeholder: "Type a message…", send: "Send", you: "You", bot: "Assistant", agent: "Agent",
          queued: function (p, w) { return "Connecting you to an agent: you are number " + p + " in the queue" + (w ? ", about " + Math.max(1, Math.round(w / 60)) + " min" : "") + "."; },
          assigned: function (n) { return "You are now connected to " + n; }, sending: "Sending…", sent: "Delivered",
          failed: "Not sent", welcome: "Hi! Ask me about orders, returns, refunds or invoices.", powered: "Powered by Switchboard",
          open: "Open chat", close: "Close", sources: "Source: ", separator: ", " }
  };
  var lang = data.lang === "en" || data.lang === "zh" ? data.lang : ((navigator.language || "zh").indexOf("zh") === 0 ? "zh" : "en");
  var t = STRINGS[lang];
  var storeKey = "switchboard:" + tenant + ":";
  var state = { token: localStorage.getItem(storeKey + "token") || "", socket: null, retry: 0, rendered: {}, streams: {},
                unacked: JSON.parse(localStorage.getItem(storeKey + "unacked") || "[]"), closedByUs: false };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(path) {
    var ns = "http://www.w3.org/2000/svg", s = document.createElementNS(ns, "svg"), p = document.createElementNS(ns, "path");
    s.setAttribute("viewBox", "0 0 24 24"); s.setAttribute("fill", "currentColor"); p.setAttribute("d", path); s.appendChild(p);
    return s;
  }

  var host = el("div"); host.id = "switchboard-chat";
  var root = host.attachShadow({ mode: "open" });
  var link = el("link"); link.rel = "stylesheet"; link.href = server + "/chat/widget.css";
  var wrap = el("div", "sb");
  var panel = el("section", "panel"); panel.setAttribute("role", "dialog"); panel.setAttribute("aria-label", t.title);
  var header = el("header", "header");
  var avatar = el("div", "avatar", lang === "zh" ? "客" : "S");
  var title = el("div", "title"); var name = el("strong", null, t.title);
  var status = el("div", "status"); status.dataset.state = "connecting"; status.dataset.testid = "status";
  var statusText = el("span", null, t.connecting); status.appendChild(el("span", "dot")); status.appendChild(statusText);
  title.appendChild(name); title.appendChild(status);
  var closeButton = el("button", "close", "×"); closeButton.setAttribute("aria-label", t.close);
  header.appendChild(avatar); header.appendChild(title); header.appendChild(closeButton);
  var banner = el("div", "banner"); banner.dataset.testid = "handoff";
  var log = el("div", "log"); log.dataset.testid = "log"; log.setAttribute("aria-live", "polite");
  log.appendChild(el("div", "welcome", t.welcome));
  var typing = el("div", "typing"); typing.dataset.testid = "typing";
  typing.appendChild(el("i")); typing.appendChild(el("i")); typing.appendChild(el("i"));
  var composer = el("form", "composer");
  var input = el("textarea"); input.rows = 1; input.placeholder = t.placeholder; input.dataset.testid = "input"; input.maxLength = 4000;
  var send = el("button", "send"); send.type = "submit"; send.setAttribute("aria-label", t.send); send.dataset.testid = "send";
  send.appendChild(svg("M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"));
  composer.appendChild(input); composer.appendChild(send);
  var footer = el("div", "footer", t.powered);
  panel.appendChild(header); panel.appendChild(banner); panel.appendChild(log); panel.appendChild(composer); panel.appendChild(footer);
  var launcher = el("button", "launcher"); launcher.setAttribute("aria-label", t.open); launcher.dataset.testid = "launcher";
  var chatIcon = svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
  var closeIcon = svg("M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z");
  closeIcon.style.display = "none";
  launcher.appendChild(chatIcon); launcher.appendChild(closeIcon);
  wrap.appendChild(panel); wrap.appendChild(launcher);
  root.appendChild(link); root.appendChild(wrap);

  function scroll() { log.scrollTop = log.scrollHeight; }
  function saveUnacked() { localStorage.setItem(storeKey + "unacked", JSON.stringify(state.unacked)); }
  function setStatus(kind) { status.dataset.state = kind; statusText.textContent = t[kind]; }
  function showTyping(on) { typing.classList.toggle("show", on); if (on) log.appendChild(typing); scroll(); }

  function mine(id, text, pending) {
    if (state.rendered[id]) return;
    var row = el("div", "row me"); row.dataset.id = id; row.dataset.testid = "mine";
    row.appendChild(el("div", "bubble", text));
    var meta = el("div", "meta", pending ? t.sending : t.sent); row.appendChild(meta);
    state.rendered[id] = row; log.insertBefore(row, typing.parentNode === log ? typing : null); scroll();
  }
  function quickReplies(row, options) {
    var old = row.querySelector(".chips"); if (old) old.remove();
    if (!options || !options.length) return;
    var chips = el("div", "chips");
    options.forEach(function (option) {
      var chip = el("button", "chip", option.title); chip.type = "button"; chip.dataset.testid = "chip";
      chip.addEventListener("click", function () { submit(option.title, option.payload); chips.remove(); });
      chips.appendChild(chip);
    });
    row.appendChild(chips);
  }
  /* The knowledge-base sections an answer rests on, as a footnote under the bubble, labelled in the
     reply's language: each title once, at most three. */
  var MAX_SOURCES = 3;
  function sources(row, frame) {
    var old = row.querySelector(".sources"); if (old) old.remove();
    var seen = {}, shown = [];
    (frame.citations || []).forEach(function (citation) {
      var text = citation.title || citation.source;
      if (!text || seen[text] || shown.length >= MAX_SOURCES) return;
      seen[text] = true; shown.push({ text: text, source: citation.source || "" });
    });
    if (!shown.length) return;
    var words = STRINGS[frame.language] || t;
    var note = el("div", "sources"); note.dataset.testid = "sources";
    note.appendChild(el("span", "sources-label", words.sources));
    shown.forEach(function (item, i) {
      if (i) note.appendChild(document.createTextNode(words.separator));
      var source = el("span", "source", item.text); if (item.source) source.title = item.source;
      note.appendChild(source);
    });
    row.querySelector(".bubble").insertAdjacentElement("afterend", note);
  }
  /* A reply takes its place among the replies to the same message: a generated answer can arrive
     after the template reply that follows it. */
  function laterReplyOf(frame) {
    if (!frame.answers) return null;
    var rows = log.querySelectorAll(".row.bot");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].dataset.answers === frame.answers && Number(rows[i].dataset.seq) > (frame.sequence || 0)) return rows[i];
    }
    return null;
  }
  function reply(frame) {
    var key = frame.stream_id || frame.id;
    var row = state.streams[key];
    if (!row && state.rendered[frame.id]) return;
    if (!row) {
      row = el("div", "row bot"); row.dataset.testid = "reply";
      var who = el("div", "who", frame.agent_name ? t.agent + " · " + frame.agent_name : t.bot);
      row.appendChild(who); row.appendChild(el("div", "bubble"));
      row.dataset.answers = frame.answers || ""; row.dataset.seq = String(frame.sequence || 0);
      state.streams[key] = row; log.insertBefore(row, laterReplyOf(frame) || (typing.parentNode === log ? typing : null));
    }
    var bubble = row.querySelector(".bubble");
    bubble.textContent = frame.text;
    bubble.classList.toggle("streaming", !!frame.partial);
    row.dataset.id = frame.id; row.dataset.partial = frame.partial ? "1" : "0";
    if (!frame.partial) {
      state.rendered[frame.id] = row;
      /* Only the latest reply offers quick replies; older choices are stale. */
      Array.prototype.forEach.call(log.querySelectorAll(".chips"), function (chips) { if (chips.parentNode !== row) chips.remove(); });
      sources(row, frame); quickReplies(row, frame.quick_replies); showTyping(false);
    }
    scroll();
  }
  function handoff(frame) {
    banner.classList.add("show"); banner.classList.toggle("assigned", frame.state === "assigned");
    if (frame.state === "queued") banner.textContent = t.queued(frame.position, frame.wait_s);
    else if (frame.state === "assigned") { banner.textContent = t.assigned(frame.agent_name); name.textContent = frame.agent_name; avatar.textContent = (frame.agent_name || "?").charAt(0); }
    else { banner.classList.remove("show"); name.textContent = t.title; avatar.textContent = lang === "zh" ? "客" : "S"; }
  }
  function onFrame(frame) {
    if (frame.type === "ready") {
      state.retry = 0; setStatus("online");
      (frame.history || []).forEach(function (item) { if (item.type === "sent") mine(item.id, item.text, false); else reply(item); });
      state.unacked.forEach(function (m) { mine(m.id, m.text, true); transmit(m); });
    } else if (frame.type === "ack") {
      state.unacked = state.unacked.filter(function (m) { return m.id !== frame.id; }); saveUnacked();
      var row = state.rendered[frame.id]; if (row) row.querySelector(".meta").textContent = t.sent;
    } else if (frame.type === "reply") reply(frame);
    else if (frame.type === "typing") showTyping(!!frame.on);
    else if (frame.type === "handoff") handoff(frame);
    else if (frame.type === "error" && frame.id) {
      state.unacked = state.unacked.filter(function (m) { return m.id !== frame.id; }); saveUnacked();
      var failed = state.rendered[frame.id];
      if (failed) { var meta = failed.querySelector(".meta"); meta.textContent = t.failed + " (" + frame.reason + ")"; meta.classList.add("failed"); }
    }
  }
  function transmit(message) {
    if (state.socket && state.socket.readyState === 1) state.socket.send(JSON.stringify({ type: "message", id: message.id, text: message.text }));
  }
  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function submit(text, payload) {
    text = (text || "").trim(); if (!text) return;
    var message = { id: newId(), text: payload || text };
    mine(message.id, text, true);
    state.unacked.push(message); saveUnacked(); transmit(message);
  }
  function connect() {
    setStatus(state.retry ? "offline" : "connecting");
    fetch(server + "/chat/" + encodeURIComponent(tenant) + "/session", {
      method: "POST", headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ token: state.token })
    }).then(function (r) { if (!r.ok) throw new Error("session " + r.status); return r.json(); }).then(function (session) {
      state.token = session.token; localStorage.setItem(storeKey + "token", session.token);
      var socket = new WebSocket(server.replace(/^http/, "ws") + "/ws?token=" + encodeURIComponent(session.token));
      state.socket = socket;
      socket.onmessage = function (event) { try { onFrame(JSON.parse(event.data)); } catch (e) { /* ignore a bad frame */ } };
      socket.onclose = function () { if (state.socket === socket) { state.socket = null; schedule(); } };
    }).catch(schedule);
  }
  function schedule() {
    state.retry += 1; setStatus("offline");
    setTimeout(connect, Math.min(10000, 300 * Math.pow(2, state.retry - 1)));
  }
  function toggleIcon(isOpen) { chatIcon.style.display = isOpen ? "none" : ""; closeIcon.style.display = isOpen ? "" : "none"; }
  function open() { panel.classList.add("open"); launcher.classList.add("hidden"); toggleIcon(true); input.focus(); }
  function close() { panel.classList.remove("open"); launcher.classList.remove("hidden"); toggleIcon(false); }
  launcher.addEventListener("click", function () { panel.classList.contains("open") ? close() : open(); });
  closeButton.addEventListener("click", close);
  composer.addEventListener("submit", function (event) { event.preventDefault(); submit(input.value); input.value = ""; });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); composer.requestSubmit(); }
  });
  window.SwitchboardChat = {
    open: open, close: close,
    /* Drops the connection as a network failure would; with lostAck the last message counts as unacknowledged. */
    dropConnection: function (lostAck) {
      if (lostAck) { var rows = log.querySelectorAll(".row.me"); var last = rows[rows.length - 1];
        if (last) state.unacked.push({ id: last.dataset.id, text: last.querySelector(".bubble").textContent }); saveUnacked(); }
      if (state.socket) state.socket.close();
    }
  };
  function start() { document.body.appendChild(host); connect(); if (data.open === "true") open(); }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
