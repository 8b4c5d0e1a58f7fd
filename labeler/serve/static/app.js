// labeler serve: drop files, show each file's verdict, label and download. Every value from a file
// or the server is put in the page with textContent, never as markup.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf"]').content;
  var cards = document.getElementById("cards");
  var message = document.getElementById("message");
  var items = [];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function post(url, form, onUpload) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) onUpload(ev.loaded / ev.total); };
      xhr.onload = function () {
        var body;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = { error: "the server answered " + xhr.status }; }
        if (xhr.status >= 400 && !body.error) body.error = "the server answered " + xhr.status;
        if (xhr.status >= 400 && !body.headline) body.failed = true;
        resolve(body);
      };
      xhr.onerror = function () { resolve({ error: "the server could not be reached", failed: true }); };
      xhr.send(form);
    });
  }

  // Progress of one file: upload percentage, then the seconds spent checking or labelling it.
  function progress(box, verb) {
    box.replaceChildren();
    var bar = el("progress"); bar.max = 1; bar.value = 0;
    var text = el("span", "detail", "uploading 0%");
    box.append(bar, text);
    var started = null, timer = null;
    return {
      upload: function (fraction) {
        bar.value = fraction;
        text.textContent = "uploading " + Math.round(fraction * 100) + "%";
        if (fraction >= 1 && !timer) {
          started = Date.now();
          bar.removeAttribute("value");
          text.textContent = verb + "…";
          timer = setInterval(function () { text.textContent = verb + "… " + Math.round((Date.now() - started) / 1000) + " s"; }, 1000);
        }
      },
      done: function () { if (timer) clearInterval(timer); box.replaceChildren(); }
    };
  }

  function show(box, result) {
    box.replaceChildren();
    if (result.failed) { box.append(el("p", "verdict bad", result.error)); return; }
    box.append(el("p", "verdict " + (result.passed ? "ok" : "bad"), result.headline));
    if (result.error) box.append(el("p", "s-fail", result.error));
    if (result.preview) {
      var img = el("img", "preview"); img.src = result.preview; img.alt = "preview of " + result.name + " (" + result.preview_kind + ")";
      box.append(img);
    }
    if (result.notice) box.append(el("p", "detail", "visible notice: " + result.notice));
    var list = el("ul", "lines");
    (result.lines.length ? result.lines : [{ text: "No problems.", kind: "pass" }]).forEach(function (line) {
      list.append(el("li", "s-" + line.kind, line.text));
    });
    box.append(list);
    if (result.fields) {
      var table = el("table", "fields");
      Object.keys(result.fields).forEach(function (key) {
        var row = el("tr"); row.append(el("td", null, key), el("td", null, result.fields[key] || "(empty)")); table.append(row);
      });
      box.append(el("p", "detail", "hidden label (implicit):"), table);
    }
    if (result.download) {
      var link = el("a", "button download", "Download labelled file"); link.href = result.download; link.setAttribute("download", "");
      box.append(link);
    }
  }

  function add(file, name) {
    var card = el("article", "card");
    card.append(el("h3", "name", name));
    var box = el("div", "result"), labelled = el("div", "labelled");
    card.append(box, labelled);
    cards.append(card);
    var item = { file: file, name: name, card: card, box: box, labelled: labelled, result: null };
    items.push(item);
    var form = new FormData(); form.append("file", file, name);
    var bar = progress(box, "checking");
    post("/ui/verify", form, bar.upload).then(function (result) {
      bar.done(); item.result = result; show(box, result);
      card.dataset.status = result.status || "error";
    });
  }

  function walk(entry, files) {
    return new Promise(function (resolve) {
      if (entry.isFile) { entry.file(function (f) { files.push([f, entry.fullPath.replace(/^\//, "")]); resolve(); }, resolve); return; }
      var reader = entry.createReader(), all = [];
      (function more() {
        reader.readEntries(function (batch) {
          if (!batch.length) { Promise.all(all.map(function (c) { return walk(c, files); })).then(resolve); return; }
          all = all.concat(Array.prototype.slice.call(batch)); more();
        }, resolve);
      })();
    });
  }

  var drop = document.getElementById("drop");
  ["dragenter", "dragover"].forEach(function (t) { drop.addEventListener(t, function (ev) { ev.preventDefault(); drop.classList.add("over"); }); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (ev) {
    ev.preventDefault(); drop.classList.remove("over");
    var entries = Array.prototype.map.call(ev.dataTransfer.items || [], function (i) { return i.webkitGetAsEntry && i.webkitGetAsEntry(); });
    if (entries.length && entries.every(Boolean)) {
      var files = [];
      Promise.all(entries.map(function (en) { return walk(en, files); })).then(function () { files.forEach(function (f) { add(f[0], f[1]); }); });
    } else {
      Array.prototype.forEach.call(ev.dataTransfer.files, function (f) { add(f, f.name); });
    }
  });
  ["pick", "pick-folder"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", function (ev) {
      Array.prototype.forEach.call(ev.target.files, function (f) { add(f, f.webkitRelativePath || f.name); });
      ev.target.value = "";
    });
  });

  var labelForm = document.getElementById("label-form");
  labelForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var todo = items.filter(function (i) { return i.result && !i.result.passed && !i.busy; });
    message.textContent = todo.length ? "Labelling " + todo.length + " file(s)…" : "Every checked file passes: nothing to label.";
    var chain = Promise.resolve(), done = 0;
    todo.forEach(function (item) {
      item.busy = true;
      chain = chain.then(function () {
        var form = new FormData(labelForm); form.append("file", item.file, item.name);
        var bar = progress(item.labelled, "labelling");
        return post("/ui/label", form, bar.upload).then(function (result) {
          bar.done(); item.busy = false; done++;
          item.labelled.append(el("h4", null, "Labelled copy"));
          var box = el("div"); item.labelled.append(box); show(box, result);
          message.textContent = "Labelled " + done + " of " + todo.length + ".";
        });
      });
    });
  });

  fetch("/ui/settings", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
    Object.keys(body.settings).forEach(function (key) {
      var field = document.getElementById(key);
      if (field) field.value = body.settings[key];
    });
    document.documentElement.setAttribute("data-ready", "yes");
  });
})();
