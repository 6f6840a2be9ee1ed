// Renders the OpenAPI document of this server as a readable page; no third-party code.
// One language a page: the template gives the labels in the page's language, and of a
// bilingual summary ("zh / en") only the half of its language is shown.
(function () {
  "use strict";
  var LANG = document.body.getAttribute("data-lang") || "zh";
  var L = JSON.parse(document.getElementById("labels").textContent);

  function pick(text) {
    if (!text || text.indexOf(" / ") < 0) { return text || ""; }
    var halves = text.split(" / ");
    return LANG === "en" ? halves.slice(1).join(" / ") : halves[0];
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function resolve(doc, schema) {
    if (schema && schema.$ref) {
      var name = schema.$ref.split("/").pop();
      return { name: name, schema: doc.components.schemas[name] };
    }
    return { name: null, schema: schema };
  }

  function schemaBlock(doc, schema) {
    var found = resolve(doc, schema);
    var label = found.name ? L.schema + " " + found.name : L.schema;
    return el("details", {}, [el("summary", {}, [label]),
      el("pre", {}, [JSON.stringify(found.schema, null, 2)])]);
  }

  function parameters(op) {
    if (!op.parameters) { return null; }
    var rows = op.parameters.map(function (p) {
      var s = p.schema || {};
      var kind = (s.enum ? s.enum.join(" | ") : (s.type || "")) + (p.required ? " *" : "");
      return el("tr", {}, [el("td", {}, [el("code", {}, [p.name])]), el("td", {}, [p.in]),
        el("td", {}, [String(kind)]), el("td", {}, [s.description || ""])]);
    });
    return el("table", {}, [el("tr", {}, [el("th", {}, [L.parameter]), el("th", {}, [L["in"]]),
      el("th", {}, [L.type]), el("th", {}, [L.meaning])])].concat(rows));
  }

  function responses(doc, op) {
    var items = Object.keys(op.responses).map(function (status) {
      var r = op.responses[status];
      var media = r.content ? Object.keys(r.content)[0] : null;
      var parts = [el("strong", {}, [status]), " " + pick(r.description) + (media ? " (" + media + ")" : "")];
      if (media && r.content[media].schema) { parts.push(schemaBlock(doc, r.content[media].schema)); }
      return el("li", {}, parts);
    });
    return el("ul", {}, items);
  }

  function operation(doc, path, method, op) {
    var parts = [el("h3", {}, [el("span", { "class": "method " + method }, [method]),
      el("code", {}, [path]), " " + pick(op.summary)])];
    if (op.description) { parts.push(el("p", {}, [op.description])); }
    if (op.security && op.security.length) { parts.push(el("p", {}, [L.auth])); }
    var params = parameters(op);
    if (params) { parts.push(params); }
    if (op.requestBody) {
      var content = op.requestBody.content;
      var media = content["application/json"] || content[Object.keys(content)[0]];
      parts.push(el("h4", {}, [L.body]), schemaBlock(doc, media.schema));
      if (media.example) { parts.push(el("pre", {}, [JSON.stringify(media.example, null, 2)])); }
    }
    parts.push(el("h4", {}, [L.responses]), responses(doc, op));
    return el("section", { "class": "op", id: op.operationId }, parts);
  }

  function render(doc) {
    var main = document.getElementById("reference");
    var toc = document.getElementById("toc");
    main.textContent = "";
    main.appendChild(el("p", {}, [pick(doc.info.description)]));
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        toc.appendChild(el("a", { href: "#" + op.operationId }, [method.toUpperCase() + " " + path]));
        main.appendChild(operation(doc, path, method, op));
      });
    });
    var hooks = doc.webhooks || {};
    if (Object.keys(hooks).length) {
      main.appendChild(el("h2", {}, [L.webhooks]));
      Object.keys(hooks).forEach(function (name) {
        Object.keys(hooks[name]).forEach(function (method) {
          main.appendChild(operation(doc, name, method, hooks[name][method]));
        });
      });
    }
  }

  fetch("/api/v1/openapi.json").then(function (r) { return r.json(); }).then(render, function () {
    document.getElementById("reference").textContent = L.failed;
  });
}());
