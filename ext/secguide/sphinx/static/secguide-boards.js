/* secguide "Your board" finder.
 *
 * Filters window.SECGUIDE_BOARDS (written by the guide build into
 * secguide-boards-data.js, loaded by a script tag so that the page also works
 * from file://). Every string of the data comes from the Zephyr tree or the
 * threat model: it is inserted with textContent or as an attribute value,
 * never as markup.
 */
(function () {
  "use strict";

  var data = window.SECGUIDE_BOARDS;
  var input = document.getElementById("secguide-board-input");
  var list = document.getElementById("secguide-board-list");
  var status = document.getElementById("secguide-board-status");
  var result = document.getElementById("secguide-board-result");
  if (!data || !input || !result) {
    return;
  }
  var finder = input.closest(".secguide-board-finder");
  var root = (finder && finder.getAttribute("data-root")) || "";
  var MAX_MATCHES = 30;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function safeHref(url) {
    // Only the site's own relative pages: no scheme, no protocol-relative URL.
    if (!url || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url) || url.indexOf("//") === 0) {
      return null;
    }
    return root + url;
  }

  var names = data.targets.map(function (t) { return t[0]; });
  names.forEach(function (name) {
    var option = document.createElement("option");
    option.value = name;
    list.appendChild(option);
  });

  function matches(query) {
    var q = query.trim().toLowerCase();
    if (!q) {
      return [];
    }
    var exact = data.targets.filter(function (t) { return t[0].toLowerCase() === q; });
    if (exact.length) {
      return exact;
    }
    return data.targets.filter(function (t) {
      return t[0].toLowerCase().indexOf(q) !== -1 || t[1].toLowerCase().indexOf(q) !== -1;
    });
  }

  function showTarget(target) {
    result.replaceChildren();
    var heading = el("h3", "secguide-board-name", target[0]);
    result.appendChild(heading);
    var facts = (target[1] ? target[1] + " · " : "") + "arch " + target[2] +
      " · SoC " + target[3] + (target[4] && target[4] !== target[3] ? " (" + target[4] + ")" : "") +
      " · Zephyr " + data.zephyr;
    result.appendChild(el("p", "secguide-board-facts", facts));

    var byVerdict = data.verdicts.map(function () { return []; });
    data.rows[target[5]].forEach(function (entry) { byVerdict[entry[1]].push(entry); });
    data.verdicts.forEach(function (verdict, index) {
      var entries = byVerdict[index];
      if (!entries.length) {
        return;
      }
      var section = el("div", "secguide-board-verdict secguide-verdict-" + verdict);
      var label = data.labels[index];
      section.appendChild(el("h4", null, label.charAt(0).toUpperCase() + label.slice(1) +
        " (" + entries.length + ")"));
      var ul = el("ul");
      entries.forEach(function (entry) {
        var rec = data.recs[entry[0]];
        var li = el("li");
        var href = safeHref(rec[2]);
        var idNode = href ? el("a", "secguide-board-rec", rec[0]) : el("span", "secguide-board-rec", rec[0]);
        if (href) {
          idNode.setAttribute("href", href);
        }
        li.appendChild(idNode);
        li.appendChild(document.createTextNode(" " + rec[1]));
        if (entry[2] >= 0) {
          li.appendChild(el("div", "secguide-board-reason", data.strings[entry[2]]));
        }
        ul.appendChild(li);
      });
      section.appendChild(ul);
      result.appendChild(section);
    });

    result.appendChild(el("h4", null, "prj.conf fragment"));
    var conf = data.confs[target[6]].map(function (index) { return data.strings[index]; })
      .join("\n").split(data.mark).join(target[0]);
    var pre = el("pre", "secguide-board-conf", conf);
    result.appendChild(pre);
    if (navigator.clipboard) {
      var copy = el("button", "secguide-board-copy", "Copy prj.conf fragment");
      copy.type = "button";
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(conf).then(function () {
          copy.textContent = "Copied";
        }, function () {
          copy.textContent = "Copy failed: select the text instead";
        });
      });
      result.appendChild(copy);
    }
  }

  function showMatches(found, query) {
    result.replaceChildren();
    var ul = el("ul", "secguide-board-matches");
    found.slice(0, MAX_MATCHES).forEach(function (target) {
      var li = el("li");
      var button = el("button", "secguide-board-pick", target[0]);
      button.type = "button";
      button.addEventListener("click", function () {
        input.value = target[0];
        update();
      });
      li.appendChild(button);
      if (target[1]) {
        li.appendChild(document.createTextNode(" " + target[1]));
      }
      ul.appendChild(li);
    });
    result.appendChild(ul);
    status.textContent = found.length + " targets match \u201c" + query + "\u201d" +
      (found.length > MAX_MATCHES ? " (first " + MAX_MATCHES + " shown)" : "") +
      "; pick one.";
  }

  function update() {
    var query = input.value;
    var found = matches(query);
    if (!query.trim()) {
      result.replaceChildren();
      status.textContent = data.targets.length + " board targets; type a board name.";
    } else if (found.length === 1) {
      status.textContent = "";
      showTarget(found[0]);
    } else if (found.length === 0) {
      result.replaceChildren();
      status.textContent = "No board target matches \u201c" + query + "\u201d.";
    } else {
      showMatches(found, query);
    }
    if (history.replaceState) {
      history.replaceState(null, "", query.trim() ? "#board=" + encodeURIComponent(query.trim()) : "#");
    }
  }

  input.addEventListener("input", update);
  var fromHash = /^#board=(.*)$/.exec(window.location.hash);
  if (fromHash) {
    try {
      input.value = decodeURIComponent(fromHash[1]);
    } catch (error) {
      input.value = "";
    }
  }
  update();
}());
