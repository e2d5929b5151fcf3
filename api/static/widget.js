/* Lagrum chat widget for intranet pages: a floating "Fråga Lagrum" button and a panel in a
 * Shadow DOM, so its styles never touch the host page and the host's styles never reach in.
 *
 *   <script src="https://lagrum.example/widget.js" data-lagrum-url="https://lagrum.example"
 *           data-api-key="optional" data-lang="sv|en"></script>
 *
 * Answers stream from POST {url}/ask/stream (server-sent events read with fetch, shown as they
 * come; POST {url}/ask when streaming fails); every [n] marker links to
 * {url}/d/{doc_id}#{start}-{end}. The widget keeps the conversation (each question with the ids of
 * the documents its answer cited) and sends it as `history`, so "Och vad sa domstolen?" is read
 * against the earlier question; "Ny konversation" starts over.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    // Loaded in an unusual way (e.g. a module loader): find our tag by its src.
    var tags = document.querySelectorAll("script[src]");
    for (var i = tags.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(tags[i].src)) { script = tags[i]; break; }
    }
  }
  if (window.__lagrumWidget) return;  // included twice: one widget is enough
  window.__lagrumWidget = true;

  function baseUrl() {
    var configured = script && script.getAttribute("data-lagrum-url");
    if (configured) return configured.replace(/\/+$/, "");
    if (script && script.src) return new URL(script.src, document.baseURI).origin;
    return window.location.origin;
  }

  var BASE = baseUrl();
  var API_KEY = (script && script.getAttribute("data-api-key")) || "";
  var requested = (script && script.getAttribute("data-lang")) || document.documentElement.lang || "sv";
  var LANG = /^en/i.test(requested) ? "en" : "sv";

  var TEXT = {
    sv: {
      open: "Fråga Lagrum", title: "Fråga Lagrum", close: "Stäng", label: "Din fråga",
      placeholder: "t.ex. Får arbetsgivaren kräva webbkamera?", send: "Skicka", searching: "Söker…",
      you: "Du", lagrum: "Lagrum", sources: "Källor", notes: "Observera", empty: "Skriv en fråga först.",
      network: "Kunde inte nå Lagrum. Kontrollera anslutningen och försök igen.",
      auth: "Lagrum kräver en API-nyckel (data-api-key).", server: "Fel från Lagrum ({status})",
      badQuestion: "Skriv frågan med ord (bokstäver eller siffror, högst 2000 tecken).",
      notFound: "Inget svar hittades i källorna.", hint: "Svaren bygger på citerade källor. Kontrollera alltid originalet.",
      newTab: "(öppnas i ny flik)", followUp: "Läst som följdfråga: {question}", restart: "Ny konversation"
    },
    en: {
      open: "Ask Lagrum", title: "Ask Lagrum", close: "Close", label: "Your question",
      placeholder: "e.g. Can an employer require a webcam?", send: "Send", searching: "Searching…",
      you: "You", lagrum: "Lagrum", sources: "Sources", notes: "Note", empty: "Write a question first.",
      network: "Could not reach Lagrum. Check the connection and try again.",
      auth: "Lagrum requires an API key (data-api-key).", server: "Lagrum error ({status})",
      badQuestion: "Write the question in words (letters or digits, at most 2000 characters).",
      notFound: "No answer was found in the sources.", hint: "Answers are built from cited sources. Always check the original.",
      newTab: "(opens in a new tab)", followUp: "Read as a follow-up: {question}", restart: "New conversation"
    }
  };

  function t(key, vars) {
    var text = TEXT[LANG][key] || TEXT.sv[key] || key;
    Object.keys(vars || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(vars[name])); });
    return text;
  }

  var CSS = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; }",
    ".root { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; font-size: 15px; line-height: 1.45; color: #1b1f24; }",
    "button { font: inherit; cursor: pointer; }",
    ":focus-visible { outline: 3px solid #ff9f1c; outline-offset: 2px; }",
    ".launcher { background: #0b5cad; color: #fff; border: 0; border-radius: 24px; padding: 10px 18px; font-weight: 600; box-shadow: 0 2px 8px rgba(0,0,0,.25); }",
    ".launcher:hover { background: #084481; }",
    ".panel { position: absolute; right: 0; bottom: 0; width: min(400px, calc(100vw - 32px)); height: min(560px, calc(100vh - 32px)); background: #fff; border: 1px solid #d0d7de; border-radius: 8px; box-shadow: 0 6px 24px rgba(0,0,0,.25); display: flex; flex-direction: column; overflow: hidden; }",
    ".panel[hidden] { display: none; }",
    ".head { display: flex; align-items: center; justify-content: space-between; padding: 8px 12px; background: #0b5cad; color: #fff; }",
    ".head h2 { font-size: 16px; margin: 0; }",
    ".head-buttons { display: flex; gap: 6px; }",
    ".restart[hidden] { display: none; }",
    ".followup { color: #57606a; font-size: 13px; font-style: italic; margin: 0 0 4px; }",
    ".close, .restart { background: none; border: 1px solid rgba(255,255,255,.6); color: #fff; border-radius: 4px; padding: 2px 10px; }",
    ".log { flex: 1; overflow-y: auto; padding: 10px 12px; margin: 0; list-style: none; }",
    ".hint { color: #57606a; font-size: 13px; margin: 0 0 8px; }",
    ".turn { margin-bottom: 14px; }",
    ".q { background: #eef4fb; border-radius: 6px; padding: 6px 8px; margin: 0 0 6px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".who { font-weight: 600; font-size: 13px; color: #57606a; display: block; }",
    ".a { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }",
    ".a a, .cites a { color: #0b5cad; }",
    ".cite-ref { font-weight: 600; text-decoration: none; }",
    ".cites { margin: 6px 0 0; padding-left: 20px; font-size: 13px; }",
    ".notes { margin: 6px 0 0; padding: 6px 8px 6px 24px; background: #fff4e5; color: #7a3a00; border-radius: 4px; font-size: 13px; }",
    ".progress { color: #57606a; font-style: italic; margin: 0; }",
    ".error { color: #8a1c1c; background: #fde8e8; border-radius: 4px; padding: 6px 8px; margin: 0; }",
    "form { border-top: 1px solid #d0d7de; padding: 8px 12px; display: grid; gap: 4px; }",
    "label { font-size: 13px; font-weight: 600; }",
    "textarea { font: inherit; width: 100%; resize: vertical; min-height: 56px; border: 1px solid #8c959f; border-radius: 4px; padding: 6px 8px; color: #1b1f24; background: #fff; }",
    ".send { justify-self: end; background: #0b5cad; color: #fff; border: 0; border-radius: 4px; padding: 6px 16px; }",
    ".send:disabled { opacity: .6; cursor: default; }",
    ".vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }"
  ].join("\n");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function passageUrl(citation) {
    return BASE + "/d/" + encodeURIComponent(citation.doc_id) + "#" + citation.start + "-" + citation.end;
  }

  function externalLink(href, text, extra) {
    var attrs = { href: href, target: "_blank", rel: "noopener noreferrer", text: text };
    Object.keys(extra || {}).forEach(function (k) { attrs[k] = extra[k]; });
    return el("a", attrs);
  }

  /** Answer text as text nodes, with each [n] a link to the cited passage. */
  function answerNode(answer, citations) {
    var byNumber = {};
    (citations || []).forEach(function (c) { byNumber[c.n] = c; });
    var node = el("p", { className: "a" });
    var pattern = /\[(\d+)\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(answer)) !== null) {
      node.appendChild(document.createTextNode(answer.slice(last, match.index)));
      var c = byNumber[Number(match[1])];
      node.appendChild(c ? externalLink(passageUrl(c), match[0], { className: "cite-ref", title: (c.title || "") + " " + t("newTab") }) : document.createTextNode(match[0]));
      last = pattern.lastIndex;
    }
    node.appendChild(document.createTextNode(answer.slice(last)));
    return node;
  }

  function headers() {
    var h = { "Content-Type": "application/json", "Accept": "application/json, text/event-stream" };
    if (API_KEY) h["Authorization"] = "Bearer " + API_KEY;
    return h;
  }

  /** An Error for people from a refused request (401, 422, ...). */
  function refusal(response, body) {
    var data = null;
    try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
    var message = (data && data.error) || t("server", { status: response.status });
    if (response.status === 422 && data && data.field === "question") message = t("badQuestion");
    var error = new Error(response.status === 401 ? t("auth") + " " + message : message);
    error.refused = true;
    return error;
  }

  function ask(body) {
    return fetch(BASE + "/ask", { method: "POST", headers: headers(), body: JSON.stringify(body) })
      .catch(function () { throw new Error(t("network")); })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) throw refusal(response, text);
          return JSON.parse(text);
        });
      });
  }

  /** POST /ask/stream: calls onEvent(name, data) for each server-sent event; resolves with `done`'s data. */
  function askStream(body, onEvent) {
    return fetch(BASE + "/ask/stream", { method: "POST", headers: headers(), body: JSON.stringify(body) })
      .then(function (response) {
        if (!response.ok) return response.text().then(function (text) { throw refusal(response, text); });
        if (!response.body || !response.body.getReader) throw new Error("no stream");
        var reader = response.body.getReader();
        var decoder = new TextDecoder("utf-8");
        var buffer = "";
        var done = null;
        function dispatch(block) {
          var name = "message";
          var data = [];
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) name = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (!data.length) return;
          var parsed = JSON.parse(data.join("\n"));
          if (name === "error") { var error = new Error(parsed.error || t("server", { status: 500 })); error.refused = true; throw error; }
          if (name === "done") done = parsed;
          else onEvent(name, parsed);
        }
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              if (buffer.trim()) dispatch(buffer);
              if (!done) throw new Error("stream ended early");
              return done;
            }
            buffer += decoder.decode(chunk.value, { stream: true });
            var end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              dispatch(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
            return pump();
          });
        }
        return pump();
      });
  }

  function build() {
    var host = el("div", { id: "lagrum-widget", "data-lagrum-widget": "" });
    var shadow = host.attachShadow({ mode: "open" });
    shadow.appendChild(el("style", { text: CSS }));

    var launcher = el("button", { type: "button", className: "launcher", "aria-expanded": "false", "aria-controls": "lagrum-panel", text: t("open") });
    var closeButton = el("button", { type: "button", className: "close", text: t("close") });
    var restartButton = el("button", { type: "button", className: "restart", text: t("restart"), hidden: "" });
    // The conversation so far, oldest first: each question with the documents its answer cited.
    var history = [];
    var log = el("ol", { className: "log", "aria-live": "polite", "aria-relevant": "additions text", "aria-label": t("title") }, [
      el("li", { className: "hint", text: t("hint") })
    ]);
    var textarea = el("textarea", { id: "lagrum-question", name: "question", rows: "2", placeholder: t("placeholder") });
    var send = el("button", { type: "submit", className: "send", text: t("send") });
    var form = el("form", null, [el("label", { for: "lagrum-question", text: t("label") }), textarea, send]);
    var panel = el("div", { id: "lagrum-panel", className: "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "lagrum-title", hidden: "" }, [
      el("div", { className: "head" }, [el("h2", { id: "lagrum-title", text: t("title") }), el("div", { className: "head-buttons" }, [restartButton, closeButton])]),
      log,
      form
    ]);
    var root = el("div", { className: "root", lang: LANG }, [launcher, panel]);
    shadow.appendChild(root);

    function open() {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      textarea.focus();
    }

    function close() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    launcher.addEventListener("click", open);
    closeButton.addEventListener("click", close);
    restartButton.addEventListener("click", function () {
      history = [];
      while (log.children.length > 1) log.removeChild(log.lastChild);  // keep the hint
      restartButton.hidden = true;
      textarea.focus();
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var question = textarea.value.trim();
      if (!question) { textarea.focus(); return; }
      var reply = el("div", { className: "reply" }, [el("p", { className: "progress", role: "status", text: t("searching") })]);
      var turn = el("li", { className: "turn" }, [
        el("p", { className: "q" }, [el("span", { className: "who", text: t("you") }), question]),
        el("span", { className: "who", text: t("lagrum") }),
        reply
      ]);
      log.appendChild(turn);
      log.scrollTop = log.scrollHeight;  // scroll the log only, never the host page
      textarea.value = "";
      send.disabled = true;
      log.setAttribute("aria-busy", "true");
      var body = { question: question };
      if (history.length) body.history = history.slice(-20);
      var live = liveReply(reply);
      askStream(body, live.onEvent)
        .catch(function (error) {
          if (error.refused) throw error;
          return ask(body);  // streaming failed (a proxy, an old browser): the whole answer at once
        })
        .then(function (data) {
          renderReply(reply, data);
          history.push({ question: question, doc_ids: docIds(data.citations) });
          restartButton.hidden = false;
        })
        .catch(function (error) {
          reply.textContent = "";
          reply.appendChild(el("p", { className: "error", role: "alert", text: error.message }));
        })
        .then(function () {
          send.disabled = false;
          log.setAttribute("aria-busy", "false");
          log.scrollTop = log.scrollHeight;  // scroll the log only, never the host page
          textarea.focus();
        });
    });

    /** The reply as the events arrive: the follow-up reading, the lead, each part with its links. */
    function liveReply(reply) {
      var citations = [];
      var text = null;
      var node = null;
      return {
        onEvent: function (name, data) {
          if (name === "resolved" && data.follow_up) {
            reply.textContent = "";
            reply.appendChild(el("p", { className: "followup", text: t("followUp", { question: data.question }) }));
            reply.appendChild(el("p", { className: "progress", role: "status", text: t("searching") }));
          } else if (name === "citation") {
            citations.push(data);
          } else if (name === "lead" || name === "part") {
            if (text === null) {
              text = "";
              var progress = reply.querySelector(".progress");
              if (progress) reply.removeChild(progress);
            }
            text += data.text;
            var fresh = answerNode(text, citations);
            fresh.setAttribute("data-streaming", "");
            if (node) reply.replaceChild(fresh, node); else reply.appendChild(fresh);
            node = fresh;
          }
          log.scrollTop = log.scrollHeight;
        }
      };
    }

    (document.body || document.documentElement).appendChild(host);
  }

  function docIds(citations) {
    var ids = [];
    (citations || []).forEach(function (c) { if (ids.indexOf(c.doc_id) < 0) ids.push(c.doc_id); });
    return ids;
  }

  function renderReply(reply, data) {
    reply.textContent = "";
    var resolved = data.resolved;
    if (resolved && resolved.follow_up) reply.appendChild(el("p", { className: "followup", text: t("followUp", { question: resolved.question }) }));
    var citations = data.citations || [];
    reply.appendChild(answerNode(data.answer || t("notFound"), citations));
    if (data.notes && data.notes.length) {
      reply.appendChild(el("ul", { className: "notes", "aria-label": t("notes") }, data.notes.map(function (note) {
        return el("li", { text: note });
      })));
    }
    if (citations.length) {
      reply.appendChild(el("ol", { className: "cites", "aria-label": t("sources") }, citations.map(function (c) {
        return el("li", { value: String(c.n) }, [
          externalLink(passageUrl(c), c.title || c.doc_id, { className: "cite-title" }),
          c.provision ? " · " + c.provision : null,
          c.date ? " · " + c.date : null
        ]);
      })));
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
  else build();
})();
