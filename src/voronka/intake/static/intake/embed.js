/* Voronka web form embed script.
 *
 * On any web site:
 *   <div data-voronka-form="FORM_KEY"></div>
 *   <script src="https://crm.example.com/f/embed.js" async></script>
 *
 * The script loads the form's definition from the CRM, renders it into the div, and posts it
 * (multipart, with the page address, the referrer and the UTM tags of the page) to the CRM.
 * The site's origin must be in the form's allowed origins.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src, window.location.href).origin : "";
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== false && attrs[name] != null) node.setAttribute(name, attrs[name] === true ? "" : attrs[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function fieldInput(field) {
    var id = "vf-" + field.name + "-" + Math.random().toString(36).slice(2, 7);
    var wrap = el("div", { "class": "voronka-field", "data-field": field.name });
    var input;
    if (field.type === "checkbox") {
      input = el("input", { type: "checkbox", id: id, name: field.name, value: "1", required: field.required });
      var box = el("label", { "for": id });
      box.appendChild(input);
      box.appendChild(document.createTextNode(" " + field.label));
      wrap.appendChild(box);
    } else {
      wrap.appendChild(el("label", { "for": id }, field.label + (field.required ? " *" : "")));
      if (field.type === "textarea") {
        input = el("textarea", { id: id, name: field.name, rows: "4", required: field.required });
      } else if (field.type === "select") {
        input = el("select", { id: id, name: field.name, required: field.required });
        input.appendChild(el("option", { value: "" }, ""));
        (field.options || []).forEach(function (option) { input.appendChild(el("option", { value: option }, option)); });
      } else {
        input = el("input", { id: id, name: field.name, type: field.type === "hidden" ? "hidden" : field.type, required: field.required });
      }
      wrap.appendChild(input);
    }
    wrap.appendChild(el("span", { "class": "voronka-error", role: "alert" }));
    return wrap;
  }

  var CSS = ".voronka-form{max-width:28rem;font:inherit}.voronka-form label{display:block;margin:.7rem 0 .25rem}" +
    ".voronka-form input:not([type=checkbox]),.voronka-form textarea,.voronka-form select{width:100%;box-sizing:border-box;padding:.45rem}" +
    ".voronka-form button{margin-top:.9rem;padding:.5rem 1.3rem}.voronka-error{color:#b00020;font-size:.9em}";

  function style() {
    if (document.getElementById("voronka-form-style")) return;
    var node = el("style", { id: "voronka-form-style" });
    node.textContent = CSS;
    document.head.appendChild(node);
  }

  function render(container, schema) {
    style();
    var form = el("form", { "class": "voronka-form", novalidate: true });
    if (schema.title) form.appendChild(el("h3", {}, schema.title));
    schema.fields.forEach(function (field) { form.appendChild(fieldInput(field)); });
    if (schema.attachments) {
      var files = el("div", { "class": "voronka-field", "data-field": "files" });
      files.appendChild(el("input", { type: "file", name: "files", multiple: true, accept: schema.attachments.types.join(",") }));
      files.appendChild(el("span", { "class": "voronka-error", role: "alert" }));
      form.appendChild(files);
    }
    var trap = el("div", { "aria-hidden": "true", style: "position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden" });
    trap.appendChild(el("input", { type: "text", name: schema.honeypot, tabindex: "-1", autocomplete: "off" }));
    form.appendChild(trap);
    if (schema.consent) {
      form.appendChild(fieldInput({ name: "consent", type: "checkbox", label: schema.consent, required: true }));
    }
    var status = el("p", { "class": "voronka-status", role: "status" });
    form.appendChild(el("button", { type: "submit" }, schema.submit_label || "Send"));
    form.appendChild(status);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(form, schema, status);
    });
    container.innerHTML = "";
    container.appendChild(form);
  }

  function submit(form, schema, status) {
    var data = new FormData(form);
    var query = new URLSearchParams(window.location.search);
    UTM.forEach(function (name) { if (query.get(name)) data.set(name, query.get(name)); });
    data.set("_page", window.location.href);
    data.set("_referrer", document.referrer || "");
    Array.prototype.forEach.call(form.querySelectorAll(".voronka-error"), function (node) { node.textContent = ""; });
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = "…";
    fetch(schema.post_url, { method: "POST", body: data, mode: "cors", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json().then(function (body) { return { http: response.status, body: body }; }); })
      .then(function (answer) {
        button.disabled = false;
        if (answer.body.ok) {
          if (answer.body.redirect) { window.location.href = answer.body.redirect; return; }
          form.reset();
          status.textContent = answer.body.message;
          form.setAttribute("data-voronka-sent", "1");
          return;
        }
        var error = answer.body.error || {};
        status.textContent = error.message || "Error";
        Object.keys(error.details || {}).forEach(function (name) {
          var slot = form.querySelector('[data-field="' + name + '"] .voronka-error');
          if (slot) slot.textContent = String(error.details[name]);
        });
      })
      .catch(function () {
        button.disabled = false;
        status.textContent = "The form could not be sent. Please try again.";
      });
  }

  function init() {
    var nodes = document.querySelectorAll("[data-voronka-form]");
    Array.prototype.forEach.call(nodes, function (container) {
      if (container.getAttribute("data-voronka-ready")) return;
      container.setAttribute("data-voronka-ready", "1");
      var key = container.getAttribute("data-voronka-form");
      var origin = container.getAttribute("data-voronka-url") || base;
      fetch(origin + "/f/" + encodeURIComponent(key) + "/schema", { mode: "cors" })
        .then(function (response) { return response.json(); })
        .then(function (schema) { if (schema.fields) render(container, schema); })
        .catch(function () { container.textContent = "The form could not be loaded."; });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
