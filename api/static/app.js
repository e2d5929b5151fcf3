/* Lagrum search page and document view: plain JavaScript, no build step, no external assets.
 *
 * The page is chosen by <body data-page="search|document">. Document text is only ever inserted
 * as text nodes; the one HTML string inserted is the server's snippet, which the API escapes and
 * marks up with <mark> only.
 */
(function () {
  "use strict";

  var KEY_STORAGE = "lagrum-api-key";
  var LANG_STORAGE = "lagrum-lang";
  var PAGE_SIZE = 10;
  var FILTERS = ["doc_type", "source", "language", "since", "until"];

  var DICT = {
    sv: {
      skip: "Hoppa till innehållet", tagline: "Sök i beslut, domar, lagar och nyheter",
      settings: "Inställningar", apiKey: "API-nyckel", save: "Spara", saved: "Sparat.",
      apiKeyHint: "Behövs bara när servern nås över nätverket. Sparas i den här webbläsaren.",
      searchHeading: "Sök", queryLabel: "Sökord", queryPlaceholder: "t.ex. webbkamera på arbetsplatsen",
      searchButton: "Sök", filters: "Filter", docType: "Dokumenttyp", allTypes: "Alla typer",
      source: "Källa", language: "Språk", allLanguages: "Alla språk", since: "Från datum", until: "Till datum",
      "lang.sv": "Svenska", "lang.en": "Engelska",
      "type.beslut": "Beslut", "type.dom": "Dom", "type.lag": "Lag", "type.förordning": "Förordning",
      "type.förarbete": "Förarbete", "type.vägledning": "Vägledning", "type.nyhet": "Nyhet", "type.debatt": "Debatt",
      "type.pressmeddelande": "Pressmeddelande", "type.övrigt": "Övrigt",
      pages: "Sidor", prev: "Föregående", next: "Nästa", page: "Sida {n}",
      searching: "Söker…", noHits: "Inga träffar.", hitsShown: "Träffar {from}–{to} ({ms} ms)",
      askHeading: "Ställ en fråga", questionLabel: "Din fråga", questionPlaceholder: "t.ex. Får arbetsgivaren kräva webbkamera?",
      askHint: "Svaret byggs av citerade stycken ur källorna. Enter skickar, Skift+Enter ger ny rad.",
      askButton: "Fråga", asking: "Söker svar…", sources: "Källor", notes: "Observera",
      notFound: "Inget svar hittades i källorna.",
      followUp: "Läst som följdfråga: {question}", followUpDocs: "Begränsad till {n} dokument från tidigare svar.",
      newConversation: "Ny konversation", conversationTurns: "Frågor i konversationen: {n}",
      footer: "Lagrum visar källorna bakom varje svar. Kontrollera alltid originalet.",
      networkError: "Kunde inte nå servern. Kontrollera anslutningen och försök igen.",
      authError: "Servern kräver en API-nyckel. Ange den under Inställningar.",
      serverError: "Fel från servern ({status})",
      badQuery: "Skriv några ord att söka på (bokstäver eller siffror, högst 2000 tecken).",
      badDate: "Skriv datumet som ÅÅÅÅ-MM-DD.",
      "warning.overturned": "Upphävd", "warning.repealed": "Upphävd lag", "warning.renamed": "Nytt namn",
      "warning.cites_overturned": "Gäller upphävt beslut",
      backToSearch: "Till sökningen", loading: "Hämtar dokumentet…", notFoundDoc: "Dokumentet finns inte.",
      date: "Datum", type: "Typ", docSource: "Källa", docLanguage: "Språk", original: "Original", id: "Id",
      court: "Domstol", caseNumbers: "Mål", headParties: "Parter", headAppealed: "Överklagat avgörande", headMatter: "Saken", headOperative: "Avgörande",
      citedPassage: "Det citerade stycket är markerat.", badRange: "Markeringen {range} ligger utanför texten och visas inte.",
      provisionsHeading: "Bestämmelser som dokumentet hänvisar till", relatedHeading: "Relaterade dokument",
      "rel.cites": "Hänvisar till", "rel.cited_by": "Hänvisas till av", "rel.overturns": "Upphäver",
      "rel.overturned_by": "Upphävd av", "rel.upholds": "Fastställer", "rel.upheld_by": "Fastställd av",
      "rel.appeals": "Överklagar", "rel.appealed_by": "Överklagad genom", "rel.remands": "Återförvisar", "rel.remanded_by": "Återförvisad genom", "rel.replaces": "Ersätter",
      "rel.replaced_by": "Ersatt av", "rel.repeals": "Upphäver (lag)", "rel.repealed_by": "Upphävd genom",
      "rel.amends": "Ändrar", "rel.amended_by": "Ändrad genom", "rel.external": "Externa hänvisningar",
      noRelations: "Inga kända relationer.", switchTo: "English"
    },
    en: {
      skip: "Skip to content", tagline: "Search decisions, judgments, statutes and news",
      settings: "Settings", apiKey: "API key", save: "Save", saved: "Saved.",
      apiKeyHint: "Only needed when the server is reached over the network. Stored in this browser.",
      searchHeading: "Search", queryLabel: "Search terms", queryPlaceholder: "e.g. webcam at the workplace",
      searchButton: "Search", filters: "Filters", docType: "Document type", allTypes: "All types",
      source: "Source", language: "Language", allLanguages: "All languages", since: "From date", until: "To date",
      "lang.sv": "Swedish", "lang.en": "English",
      "type.beslut": "Decision", "type.dom": "Judgment", "type.lag": "Statute", "type.förordning": "Ordinance",
      "type.förarbete": "Preparatory work", "type.vägledning": "Guidance", "type.nyhet": "News", "type.debatt": "Debate",
      "type.pressmeddelande": "Press release", "type.övrigt": "Other",
      pages: "Pages", prev: "Previous", next: "Next", page: "Page {n}",
      searching: "Searching…", noHits: "No results.", hitsShown: "Results {from}–{to} ({ms} ms)",
      askHeading: "Ask a question", questionLabel: "Your question", questionPlaceholder: "e.g. Can an employer require a webcam?",
      askHint: "The answer is built from cited passages of the sources. Enter sends, Shift+Enter adds a line.",
      askButton: "Ask", asking: "Looking for an answer…", sources: "Sources", notes: "Note",
      notFound: "No answer was found in the sources.",
      followUp: "Read as a follow-up: {question}", followUpDocs: "Restricted to {n} documents from earlier answers.",
      newConversation: "New conversation", conversationTurns: "Questions in this conversation: {n}",
      footer: "Lagrum shows the sources behind every answer. Always check the original.",
      networkError: "Could not reach the server. Check the connection and try again.",
      authError: "The server requires an API key. Enter it under Settings.",
      serverError: "Server error ({status})",
      badQuery: "Type some words to search for (letters or digits, at most 2000 characters).",
      badDate: "Write the date as YYYY-MM-DD.",
      "warning.overturned": "Overturned", "warning.repealed": "Repealed", "warning.renamed": "Renamed",
      "warning.cites_overturned": "Concerns an overturned decision",
      backToSearch: "Back to search", loading: "Loading the document…", notFoundDoc: "The document does not exist.",
      date: "Date", type: "Type", docSource: "Source", docLanguage: "Language", original: "Original", id: "Id",
      court: "Court", caseNumbers: "Case", headParties: "Parties", headAppealed: "Decision appealed", headMatter: "Matter", headOperative: "Operative part",
      citedPassage: "The cited passage is highlighted.", badRange: "The highlight {range} is outside the text and is not shown.",
      provisionsHeading: "Provisions this document cites", relatedHeading: "Related documents",
      "rel.cites": "Cites", "rel.cited_by": "Cited by", "rel.overturns": "Overturns",
      "rel.overturned_by": "Overturned by", "rel.upholds": "Upholds", "rel.upheld_by": "Upheld by",
      "rel.appeals": "Appeals", "rel.appealed_by": "Appealed by", "rel.remands": "Remands", "rel.remanded_by": "Remanded by", "rel.replaces": "Replaces",
      "rel.replaced_by": "Replaced by", "rel.repeals": "Repeals", "rel.repealed_by": "Repealed by",
      "rel.amends": "Amends", "rel.amended_by": "Amended by", "rel.external": "External references",
      noRelations: "No known relations.", switchTo: "Svenska"
    }
  };

  // ---- shared helpers -------------------------------------------------------------------------

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function storageSet(key, value) {
    try {
      if (value) window.localStorage.setItem(key, value); else window.localStorage.removeItem(key);
    } catch (e) { /* private mode: settings last for this page only */ }
  }

  var lang = storageGet(LANG_STORAGE) === "en" ? "en" : "sv";

  function t(key, vars) {
    var text = (DICT[lang] && DICT[lang][key]) || DICT.sv[key] || key;
    if (vars) {
      Object.keys(vars).forEach(function (name) { text = text.split("{" + name + "}").join(String(vars[name])); });
    }
    return text;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = value;
        else if (name === "className") node.className = value;
        else node.setAttribute(name, value === true ? "" : value);
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** Link to the document view with the passage [start, end) highlighted. */
  function docHref(docId, start, end) {
    var href = "/d/" + encodeURIComponent(docId);
    if (typeof start === "number" && typeof end === "number" && end > start) href += "#" + start + "-" + end;
    return href;
  }

  /** The ids of the documents an answer cited, each once, in citation order. */
  function uniqueDocIds(citations) {
    var ids = [];
    (citations || []).forEach(function (c) { if (ids.indexOf(c.doc_id) < 0) ids.push(c.doc_id); });
    return ids;
  }

  function typeLabel(docType) {
    return docType ? t("type." + docType) : "";
  }

  /** The warning's message in the UI language (the API sends `message` in Swedish, `message_en`). */
  function warningMessage(warning) {
    return (lang === "en" && warning.message_en) || warning.message || "";
  }

  function warningBadge(warning) {
    var kind = (warning && warning.kind) || "";
    var label = DICT[lang]["warning." + kind] ? t("warning." + kind) : kind.replace(/_/g, " ");
    return el("span", { className: "badge " + kind, title: warningMessage(warning) || null, text: label });
  }

  function safeUrl(url) {
    return /^https?:\/\//i.test(url || "") ? url : null;
  }

  /** fetch JSON with the stored API key; rejects with an Error whose message is for people. */
  /** The page's own words for input errors the user can fix; the API's (English) message otherwise. */
  function localMessage(status, field) {
    if (status !== 422 || !field) return null;
    if (field === "q" || field === "question") return t("badQuery");
    if (/(^|\.)(since|until)$/.test(field)) return t("badDate");
    return null;
  }

  function api(path, options) {
    options = options || {};
    var headers = { "Accept": "application/json" };
    if (options.body) headers["Content-Type"] = "application/json";
    var key = storageGet(KEY_STORAGE);
    if (key) headers["Authorization"] = "Bearer " + key;
    return fetch(path, { method: options.method || "GET", headers: headers, body: options.body })
      .catch(function () { throw new Error(t("networkError")); })
      .then(function (response) {
        return response.text().then(function (body) {
          var data = null;
          try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
          if (!response.ok) {
            var message = (data && data.error) || t("serverError", { status: response.status });
            if (response.status === 401) message = t("authError") + " (" + message + ")";
            message = localMessage(response.status, data && data.field) || message;
            var error = new Error(message);
            error.status = response.status;
            error.field = data && data.field;
            throw error;
          }
          return data;
        });
      });
  }

  function applyLabels() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (node) { node.textContent = t(node.getAttribute("data-i18n")); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (node) {
      node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
    });
    document.querySelectorAll("[data-i18n-aria]").forEach(function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-i18n-aria")));
    });
    var toggle = document.getElementById("lang-toggle");
    if (toggle) {
      toggle.textContent = t("switchTo");
      toggle.setAttribute("lang", lang === "sv" ? "en" : "sv");
    }
  }

  function setupLanguageToggle(rerender) {
    var toggle = document.getElementById("lang-toggle");
    if (!toggle) return;
    toggle.addEventListener("click", function () {
      lang = lang === "sv" ? "en" : "sv";
      storageSet(LANG_STORAGE, lang);
      applyLabels();
      if (rerender) rerender();
    });
  }

  /** Answer text with [n] markers turned into links to the cited passages. */
  function renderAnswerText(answer, citations) {
    var byNumber = {};
    (citations || []).forEach(function (c) { byNumber[c.n] = c; });
    var container = el("div", { className: "answer-text" });
    var pattern = /\[(\d+)\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(answer)) !== null) {
      container.appendChild(document.createTextNode(answer.slice(last, match.index)));
      var citation = byNumber[Number(match[1])];
      if (citation) {
        container.appendChild(el("a", {
          className: "cite-ref", href: docHref(citation.doc_id, citation.start, citation.end),
          title: citation.title, text: match[0]
        }));
      } else {
        container.appendChild(document.createTextNode(match[0]));
      }
      last = pattern.lastIndex;
    }
    container.appendChild(document.createTextNode(answer.slice(last)));
    return container;
  }

  // ---- search page ----------------------------------------------------------------------------

  function searchPage() {
    var form = document.getElementById("search-form");
    var status = document.getElementById("search-status");
    var hitsList = document.getElementById("hits");
    var results = document.getElementById("results");
    var pager = document.getElementById("pager");
    var prev = document.getElementById("prev");
    var next = document.getElementById("next");
    var pageInfo = document.getElementById("page-info");
    var askForm = document.getElementById("ask-form");
    var question = document.getElementById("question");
    var answerBox = document.getElementById("answer");
    var newConversation = document.getElementById("new-conversation");
    // The conversation so far: each earlier question with the documents its answer cited.
    var conversation = [];
    var lastSearch = null;
    var lastAnswer = null;
    var searchSeq = 0;

    function readState() {
      var params = new URLSearchParams(window.location.search);
      var state = { q: params.get("q") || "", offset: Math.max(0, parseInt(params.get("offset") || "0", 10) || 0) };
      FILTERS.forEach(function (name) { state[name] = params.get(name) || ""; });
      return state;
    }

    function formState(offset) {
      var state = { q: form.q.value.trim(), offset: offset || 0 };
      FILTERS.forEach(function (name) { state[name] = form[name].value.trim(); });
      return state;
    }

    function fillForm(state) {
      form.q.value = state.q;
      FILTERS.forEach(function (name) { form[name].value = state[name]; });
    }

    function queryString(state, extra) {
      var params = new URLSearchParams();
      params.set("q", state.q);
      FILTERS.forEach(function (name) { if (state[name]) params.set(name, state[name]); });
      if (state.offset) params.set("offset", String(state.offset));
      Object.keys(extra || {}).forEach(function (name) { params.set(name, extra[name]); });
      return params.toString();
    }

    function showStatus(text, isError) {
      status.textContent = text;
      status.className = isError ? "status error" : "status";
      status.setAttribute("role", isError ? "alert" : "status");
    }

    function renderHits() {
      clear(hitsList);
      if (!lastSearch) return;
      var data = lastSearch.data;
      var state = lastSearch.state;
      if (!data.hits.length) {
        showStatus(t("noHits"));
        pager.hidden = state.offset === 0;
      } else {
        showStatus(t("hitsShown", { from: state.offset + 1, to: state.offset + data.hits.length, ms: data.took_ms }));
        pager.hidden = false;
      }
      data.hits.forEach(function (hit) {
        var meta = el("div", { className: "hit-meta" }, [
          hit.date ? el("time", { datetime: hit.date, text: hit.date }) : null,
          hit.doc_type ? el("span", { className: "type", text: typeLabel(hit.doc_type) }) : null,
          hit.source ? el("span", { className: "source", text: hit.source }) : null
        ]);
        (hit.warnings || []).forEach(function (w) { meta.appendChild(warningBadge(w)); });
        var snippet = el("p", { className: "snippet" });
        snippet.innerHTML = hit.snippet || "";  // server-escaped, only <mark> markup
        hitsList.appendChild(el("li", { className: "hit" }, [
          el("h3", null, [el("a", { href: docHref(hit.doc_id, hit.start, hit.end), text: hit.title || hit.doc_id })]),
          meta,
          snippet
        ]));
      });
      prev.disabled = state.offset === 0;
      next.disabled = data.hits.length < PAGE_SIZE;
      pageInfo.textContent = t("page", { n: Math.floor(state.offset / PAGE_SIZE) + 1 });
    }

    function runSearch(state) {
      if (!state.q) {
        lastSearch = null;
        clear(hitsList);
        showStatus("");
        pager.hidden = true;
        return Promise.resolve();
      }
      var seq = ++searchSeq;
      results.setAttribute("aria-busy", "true");
      showStatus(t("searching"));
      // One result per document: its best passage (a long decision would otherwise fill the page).
      return api("/search?" + queryString(state, { limit: String(PAGE_SIZE), per_document: "1" }))
        .then(function (data) {
          if (seq !== searchSeq) return;
          lastSearch = { state: state, data: data };
          renderHits();
        })
        .catch(function (error) {
          if (seq !== searchSeq) return;
          lastSearch = null;
          clear(hitsList);
          pager.hidden = true;
          showStatus(error.message, true);
          if (error.field && form[error.field]) form[error.field].setAttribute("aria-invalid", "true");
        })
        .then(function () { results.setAttribute("aria-busy", "false"); });
    }

    function navigate(state) {
      var url = "?" + queryString(state);
      if (url !== window.location.search) window.history.pushState(null, "", url);
      return runSearch(state);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
      navigate(formState(0));
    });
    // Enter in any filter field submits the search too (selects do not submit natively).
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "SELECT") {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    prev.addEventListener("click", function () {
      if (!lastSearch) return;
      var state = Object.assign({}, lastSearch.state, { offset: Math.max(0, lastSearch.state.offset - PAGE_SIZE) });
      navigate(state).then(function () { form.q.focus(); });
    });
    next.addEventListener("click", function () {
      if (!lastSearch) return;
      var state = Object.assign({}, lastSearch.state, { offset: lastSearch.state.offset + PAGE_SIZE });
      navigate(state);
    });
    window.addEventListener("popstate", function () {
      var state = readState();
      fillForm(state);
      runSearch(state);
    });

    function renderAnswer() {
      clear(answerBox);
      if (!lastAnswer) return;
      if (lastAnswer.error) {
        answerBox.appendChild(el("p", { className: "error", role: "alert", text: lastAnswer.error }));
        return;
      }
      var data = lastAnswer.data;
      var resolved = data.resolved;
      if (resolved && resolved.follow_up) {
        answerBox.appendChild(el("p", { className: "hint follow-up", text: t("followUp", { question: resolved.question }) }));
        if (resolved.doc_ids && resolved.doc_ids.length) answerBox.appendChild(el("p", { className: "hint", text: t("followUpDocs", { n: resolved.doc_ids.length }) }));
      }
      answerBox.appendChild(renderAnswerText(data.answer || (data.found ? "" : t("notFound")), data.citations));
      if (data.notes && data.notes.length) {
        answerBox.appendChild(el("h3", { text: t("notes") }));
        answerBox.appendChild(el("ul", { className: "notes" }, data.notes.map(function (note) { return el("li", { text: note }); })));
      }
      if (data.citations && data.citations.length) {
        answerBox.appendChild(el("h3", { text: t("sources") }));
        answerBox.appendChild(el("ol", { className: "citations" }, data.citations.map(function (c) {
          return el("li", { value: String(c.n) }, [
            el("a", { className: "citation-link", href: docHref(c.doc_id, c.start, c.end), text: "[" + c.n + "] " + (c.title || c.doc_id) }),
            c.provision ? " · " + c.provision : null,
            c.date ? " · " + c.date : null,
            c.doc_type ? " · " + typeLabel(c.doc_type) : null,
            c.quote ? el("blockquote", { text: c.quote }) : null
          ]);
        })));
      }
    }

    askForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = question.value.trim();
      if (!text) { question.focus(); return; }
      var body = { question: text };
      if (conversation.length) body.history = conversation.slice(-20);
      var filters = {};
      FILTERS.forEach(function (name) { var v = form[name].value.trim(); if (v) filters[name] = v; });
      if (Object.keys(filters).length) body.filters = filters;
      var button = askForm.querySelector("button[type=submit]");
      button.disabled = true;
      answerBox.setAttribute("aria-busy", "true");
      clear(answerBox);
      answerBox.appendChild(el("p", { className: "status", text: t("asking") }));
      api("/ask", { method: "POST", body: JSON.stringify(body) })
        .then(function (data) {
          lastAnswer = { data: data };
          conversation.push({ question: text, doc_ids: uniqueDocIds(data.citations) });
        })
        .catch(function (error) { lastAnswer = { error: error.message }; })
        .then(function () {
          if (newConversation) newConversation.hidden = !conversation.length;
          button.disabled = false;
          answerBox.setAttribute("aria-busy", "false");
          renderAnswer();
        });
    });
    question.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        askForm.requestSubmit();
      }
    });
    if (newConversation) {
      newConversation.addEventListener("click", function () {
        conversation = [];
        lastAnswer = null;
        renderAnswer();
        newConversation.hidden = true;
        question.focus();
      });
    }

    setupSettings();
    setupLanguageToggle(function () { renderHits(); renderAnswer(); });
    var initial = readState();
    fillForm(initial);
    runSearch(initial);
  }

  function setupSettings() {
    var settingsForm = document.getElementById("settings-form");
    if (!settingsForm) return;
    var input = document.getElementById("api-key");
    var saved = document.getElementById("settings-status");
    input.value = storageGet(KEY_STORAGE) || "";
    settingsForm.addEventListener("submit", function (event) {
      event.preventDefault();
      storageSet(KEY_STORAGE, input.value.trim());
      saved.textContent = t("saved");
    });
  }

  // ---- document view --------------------------------------------------------------------------

  function documentPage() {
    var status = document.getElementById("doc-status");
    var article = document.getElementById("doc");
    var side = document.getElementById("doc-side");
    var docId = decodeURIComponent(window.location.pathname.replace(/^\/d\//, ""));
    var current = null;
    var related = null;

    function parseRange(hash, length) {
      var match = /^#(\d+)-(\d+)$/.exec(hash || "");
      if (!match) return null;
      var start = Number(match[1]);
      var end = Number(match[2]);
      return { start: start, end: end, valid: start < end && end <= length };
    }

    function renderMeta(doc) {
      var meta = document.getElementById("doc-meta");
      clear(meta);
      var rows = [
        ["date", doc.date], ["type", typeLabel(doc.doc_type)], ["docSource", doc.source],
        ["docLanguage", doc.language ? t("lang." + doc.language) : ""], ["id", doc.id]
      ];
      rows.forEach(function (row) {
        if (!row[1]) return;
        meta.appendChild(el("dt", { text: t(row[0]) }));
        meta.appendChild(el("dd", { text: row[1] }));
      });
      headRows(doc.extra || {}).forEach(function (row) {
        if (!row[1]) return;
        meta.appendChild(el("dt", { text: t(row[0]) }));
        meta.appendChild(el("dd", { text: row[1] }));
      });
      var url = safeUrl(doc.url);
      if (url) {
        meta.appendChild(el("dt", { text: t("original") }));
        meta.appendChild(el("dd", null, [el("a", { href: url, rel: "noopener noreferrer", text: url })]));
      }
    }

    /** A ruling's head as read at ingest (court, case numbers, parties, appealed decision, matter, operative part). */
    function headRows(extra) {
      var head = extra.head && typeof extra.head === "object" ? extra.head : {};
      var parties = [];
      var byRole = head.parties && typeof head.parties === "object" ? head.parties : {};
      Object.keys(byRole).forEach(function (role) {
        var names = (Array.isArray(byRole[role]) ? byRole[role] : []).map(function (p) { return p && typeof p === "object" ? p.name : p; }).filter(Boolean);
        if (names.length) parties.push(role.charAt(0).toUpperCase() + role.slice(1) + ": " + names.join(", "));
      });
      var appealed = head.appealed && typeof head.appealed === "object" ? head.appealed : {};
      var appealedText = appealed.text || [appealed.court_or_authority, appealed.date, appealed.number].filter(Boolean).join(", ");
      var operative = typeof head.operative === "string" ? head.operative : "";
      if (operative.length > 600) operative = operative.slice(0, 597) + "…";
      var cases = Array.isArray(extra.case_numbers) ? extra.case_numbers.join(", ") : "";
      return [
        ["court", typeof extra.court === "string" ? extra.court : ""], ["caseNumbers", cases],
        ["headParties", parties.join("; ")], ["headAppealed", String(appealedText || "")],
        ["headMatter", typeof head.matter === "string" ? head.matter : ""], ["headOperative", operative]
      ];
    }

    function renderWarnings(doc) {
      var box = document.getElementById("doc-warnings");
      clear(box);
      var warnings = doc.warnings || [];
      box.hidden = !warnings.length;
      warnings.forEach(function (w) {
        box.appendChild(el("p", null, [warningBadge(w), " ", warningMessage(w)]));
      });
    }

    /** The canonical text as text nodes, with text[start:end] wrapped in <mark id="cited">. */
    function renderText(doc, focus) {
      var container = document.getElementById("doc-text");
      var note = document.getElementById("cited-note");
      var text = doc.text || "";
      clear(container);
      note.hidden = true;
      var range = parseRange(window.location.hash, text.length);
      if (range && range.valid) {
        container.appendChild(document.createTextNode(text.slice(0, range.start)));
        var mark = el("mark", { id: "cited", tabindex: "-1" }, [text.slice(range.start, range.end)]);
        container.appendChild(mark);
        container.appendChild(document.createTextNode(text.slice(range.end)));
        note.textContent = t("citedPassage");
        note.hidden = false;
        if (focus) {
          mark.scrollIntoView({ block: "center" });
          mark.focus({ preventScroll: true });
        }
      } else {
        container.appendChild(document.createTextNode(text));
        if (range) {
          note.textContent = t("badRange", { range: range.start + "–" + range.end });
          note.hidden = false;
        }
      }
    }

    function citedProvisions(doc) {
      var seen = {};
      var out = [];
      function add(canonical) {
        if (canonical && !seen[canonical]) { seen[canonical] = true; out.push(canonical); }
      }
      (doc.chunks || []).forEach(function (chunk) {
        (chunk.citations || []).forEach(function (c) { add(typeof c === "string" ? c : c.canonical); });
      });
      (Array.isArray(doc.citations) ? doc.citations : []).forEach(function (c) { add(typeof c === "string" ? c : c && c.canonical); });
      return out;
    }

    function renderSide() {
      var provisions = citedProvisions(current);
      var provSection = document.getElementById("provisions");
      var list = document.getElementById("provisions-list");
      clear(list);
      provisions.forEach(function (canonical) {
        list.appendChild(el("li", null, [el("a", { href: "/provisions/" + encodeURIComponent(canonical), text: canonical })]));
      });
      provSection.hidden = !provisions.length;

      var relSection = document.getElementById("related");
      var groups = document.getElementById("related-groups");
      clear(groups);
      if (related) {
        Object.keys(related).forEach(function (key) {
          var items = related[key];
          if (!Array.isArray(items) || !items.length) return;
          groups.appendChild(el("h3", { text: DICT.sv["rel." + key] ? t("rel." + key) : key }));
          groups.appendChild(el("ul", null, items.map(relatedItem)));
        });
        if (!groups.firstChild) groups.appendChild(el("p", { className: "hint", text: t("noRelations") }));
      }
      relSection.hidden = !related;
      side.hidden = provSection.hidden && relSection.hidden;
    }

    function relatedItem(item) {
      if (typeof item === "string") return el("li", { text: item });
      var label = item.title || item.doc_id || item.canonical || item.id ||
        (item.target ? (DICT.sv["rel." + item.type] ? t("rel." + item.type) : item.type) + ": " + item.target : JSON.stringify(item));
      var children = [];
      if (item.doc_id) children.push(el("a", { href: docHref(item.doc_id), text: label }));
      else if (safeUrl(item.url)) children.push(el("a", { href: item.url, rel: "noopener noreferrer", text: label }));
      else children.push(label);
      if (item.date) children.push(" · " + item.date);
      return el("li", null, children);
    }

    function render(focus) {
      if (!current) return;
      document.title = (current.title || current.id) + " – Lagrum";
      document.getElementById("doc-title").textContent = current.title || current.id;
      renderMeta(current);
      renderWarnings(current);
      renderText(current, focus);
      renderSide();
    }

    setupLanguageToggle(function () { render(false); });
    window.addEventListener("hashchange", function () { render(true); });

    status.textContent = t("loading");
    var path = "/documents/" + encodeURIComponent(docId);
    api(path)
      .then(function (doc) {
        current = doc;
        status.textContent = "";
        article.hidden = false;
        render(true);
        return api(path + "/related").then(function (data) {
          related = data;
          renderSide();
        }, function () { /* relations are optional: the section stays hidden */ });
      })
      .catch(function (error) {
        status.className = "status error";
        status.setAttribute("role", "alert");
        status.textContent = error.status === 404 ? t("notFoundDoc") + " " + error.message : error.message;
      });
  }

  function start() {
    applyLabels();
    var page = document.body.getAttribute("data-page");
    if (page === "search") searchPage();
    else if (page === "document") documentPage();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
