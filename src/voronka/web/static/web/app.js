/* Voronka web UI behaviour: toasts, board drag and drop, the "Move to…" menu, reasons, small form helpers. */
(function () {
  "use strict";

  const csrf = () => (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value ||
    (JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"]);

  // ---- Toasts -------------------------------------------------------------------------------
  function toast(message, level) {
    const box = document.getElementById("toasts");
    if (!box || !message) return;
    const el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    el.setAttribute("role", level === "error" ? "alert" : "status");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(() => el.remove(), level === "error" ? 7000 : 4000);
  }
  window.voronkaToast = toast;
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-autohide]").forEach((el) => setTimeout(() => el.remove(), 5000));
  });
  document.body.addEventListener("toast", (e) => toast(e.detail.message, e.detail.level));
  document.body.addEventListener("htmx:responseError", (e) => {
    toast(document.body.dataset.errorMessage || "Something went wrong. Please try again.", "error");
  });

  // ---- Reasons (backward moves, lost stages) --------------------------------------------------
  function askReason(message) {
    const dialog = document.getElementById("reason-dialog");
    return new Promise((resolve) => {
      dialog.querySelector("[data-reason-message]").textContent = message || "";
      const input = dialog.querySelector("[data-reason-input]");
      input.value = "";
      dialog.returnValue = "";
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "ok" && input.value.trim() ? input.value.trim() : null);
      });
      dialog.showModal();
      input.focus();
    });
  }

  // POST a move; returns {ok, html, detail}. Asks for a reason when the server says one is needed.
  async function postMove(url, stageId, reason) {
    const body = new FormData();
    body.append("stage", stageId);
    if (reason) body.append("reason", reason);
    const response = await fetch(url, {
      method: "POST", body, headers: { "X-CSRFToken": csrf(), "HX-Request": "true" }, credentials: "same-origin",
    });
    const trigger = JSON.parse(response.headers.get("HX-Trigger") || "{}");
    const html = await response.text();
    if (trigger["card-refused"]) {
      const refusal = trigger["card-refused"];
      if (refusal.redirect) {
        toast(refusal.message, "info");
        window.location.href = refusal.redirect;
        return { ok: false };
      }
      if (refusal.needsReason && !reason) {
        const given = await askReason(refusal.message);
        if (given) return postMove(url, stageId, given);
        return { ok: false, cancelled: true };
      }
      toast(refusal.message, "error");
      return { ok: false };
    }
    if (!response.ok) {
      toast((trigger.toast && trigger.toast.message) || response.statusText, "error");
      return { ok: false };
    }
    return { ok: true, html, detail: trigger["card-moved"] || {} };
  }

  // ---- Kanban board ---------------------------------------------------------------------------
  function updateColumn(stats) {
    if (!stats) return;
    const column = document.querySelector(`.column[data-stage-id="${stats.stage}"]`);
    if (!column) return;
    column.querySelector("[data-count]").textContent = stats.count;
    column.querySelector("[data-sum]").textContent = stats.sum;
  }

  async function moveCard(card, fromList, toList, oldIndex) {
    const stageId = toList.dataset.stageId;
    card.classList.add("is-busy");
    const result = await postMove(card.dataset.moveUrl + window.location.search, stageId, null);
    card.classList.remove("is-busy");
    if (!result.ok) {
      // Snap the card back to where it was.
      const ref = fromList.querySelectorAll(".card")[oldIndex] || null;
      fromList.insertBefore(card, ref && ref !== card ? ref : fromList.querySelector(".more"));
      return false;
    }
    const holder = document.createElement("div");
    holder.innerHTML = result.html.trim();
    const fresh = holder.firstElementChild;
    if (fresh) {
      card.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
    }
    updateColumn(result.detail.from);
    updateColumn(result.detail.to);
    toast(result.detail.message, "success");
    return true;
  }

  document.body.addEventListener("card-added", (e) => updateColumn(e.detail));

  function initBoard(board) {
    if (!window.Sortable || board.dataset.ready) return;
    board.dataset.ready = "1";
    board.querySelectorAll(".cards").forEach((list) => {
      window.Sortable.create(list, {
        group: "board", sort: false, animation: 120, draggable: ".card", filter: ".card-move, a",
        preventOnFilter: false, ghostClass: "sortable-ghost", chosenClass: "sortable-chosen",
        onEnd: (evt) => { if (evt.from !== evt.to) moveCard(evt.item, evt.from, evt.to, evt.oldIndex); },
      });
    });
    // Keyboard-accessible "Move to…": one dialog listing the stages.
    const dialog = document.getElementById("move-dialog");
    board.addEventListener("click", (e) => {
      const button = e.target.closest(".card-move");
      if (!button || !dialog) return;
      const card = button.closest(".card");
      dialog.dataset.cardId = card.id;
      dialog.querySelector("[data-move-title]").textContent = card.querySelector(".card-title").textContent;
      dialog.querySelectorAll("[data-stage-choice]").forEach((choice) => {
        choice.disabled = choice.dataset.stageChoice === card.closest(".cards").dataset.stageId;
      });
      dialog.showModal();
    });
    if (dialog) {
      dialog.addEventListener("click", async (e) => {
        const choice = e.target.closest("[data-stage-choice]");
        if (!choice) return;
        e.preventDefault();
        dialog.close();
        const card = document.getElementById(dialog.dataset.cardId);
        const fromList = card.closest(".cards");
        const toList = board.querySelector(`.cards[data-stage-id="${choice.dataset.stageChoice}"]`);
        const oldIndex = Array.from(fromList.querySelectorAll(".card")).indexOf(card);
        toList.insertBefore(card, toList.querySelector(".card"));
        const moved = await moveCard(card, fromList, toList, oldIndex);
        const placed = moved && document.getElementById(dialog.dataset.cardId);
        if (placed) placed.querySelector(".card-move").focus();
      });
    }
  }

  // ---- Stage bar on an item card ------------------------------------------------------------
  document.addEventListener("click", async (e) => {
    const step = e.target.closest("[data-stage-step]");
    if (!step) return;
    e.preventDefault();
    const bar = step.closest("[data-move-url]");
    const result = await postMove(bar.dataset.moveUrl, step.dataset.stageStep, null);
    if (result.ok) window.location.reload();
  });

  // ---- Repeated inputs (phones, e-mails, product rows) -----------------------------------------
  document.addEventListener("click", (e) => {
    const add = e.target.closest("[data-add-row]");
    if (add) {
      e.preventDefault();
      const group = document.getElementById(add.dataset.addRow);
      const template = group.querySelector("template");
      const row = template.content.firstElementChild.cloneNode(true);
      group.insertBefore(row, template);
      const input = row.querySelector("input");
      if (input) input.focus();
      return;
    }
    const remove = e.target.closest("[data-remove-row]");
    if (remove) {
      e.preventDefault();
      const row = remove.closest("[data-row]");
      const form = row.closest("form");
      row.remove();
      if (form) form.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });

  // ---- Contact / company picker ----------------------------------------------------------------
  document.addEventListener("click", (e) => {
    const choice = e.target.closest("[data-pick-id]");
    if (!choice) return;
    const picker = choice.closest("[data-picker]");
    picker.querySelector("[data-pick-value]").value = choice.dataset.pickId;
    picker.querySelector("[data-pick-input]").value = choice.dataset.pickLabel;
    picker.querySelector("[data-pick-results]").innerHTML = "";
    const radio = picker.closest("fieldset") && picker.closest("fieldset").querySelector("input[type=radio][value=pick]");
    if (radio) radio.checked = true;
  });
  document.addEventListener("input", (e) => {
    if (e.target.matches("[data-pick-input]") && !e.target.value.trim()) {
      e.target.closest("[data-picker]").querySelector("[data-pick-value]").value = "";
    }
  });

  // ---- Lists: select all, bulk actions ----------------------------------------------------------
  document.addEventListener("change", (e) => {
    if (e.target.matches("[data-select-all]")) {
      document.querySelectorAll("[data-row-check]").forEach((box) => { box.checked = e.target.checked; });
    }
    if (e.target.matches("[data-bulk-action]")) {
      const action = e.target.value;
      document.querySelectorAll("[data-bulk-arg]").forEach((el) => { el.hidden = el.dataset.bulkArg !== action; });
    }
  });
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.matches("[data-confirm]") && !window.confirm(form.dataset.confirm)) e.preventDefault();
    if (form.matches("[data-confirm-delete]") && form.elements.action.value === "delete" &&
        !window.confirm(form.dataset.confirmDelete)) e.preventDefault();
  });

  // ---- Settings: drag stages to reorder ------------------------------------------------------
  function initSortableForms(root) {
    if (!window.Sortable) return;
    root.querySelectorAll("[data-reorder-url]").forEach((list) => {
      if (list.dataset.ready) return;
      list.dataset.ready = "1";
      window.Sortable.create(list, {
        handle: ".handle", animation: 120, ghostClass: "sortable-ghost",
        onEnd: async () => {
          const body = new FormData();
          list.querySelectorAll("[data-id]").forEach((row) => body.append("order", row.dataset.id));
          const response = await fetch(list.dataset.reorderUrl, {
            method: "POST", body, headers: { "X-CSRFToken": csrf(), "HX-Request": "true" },
          });
          const trigger = JSON.parse(response.headers.get("HX-Trigger") || "{}");
          if (trigger.toast) toast(trigger.toast.message, trigger.toast.level);
          if (trigger.toast && trigger.toast.level === "error") window.location.reload();
        },
      });
    });
  }

  function init(root) {
    document.querySelectorAll(".board").forEach(initBoard);
    initSortableForms(root || document);
  }
  document.addEventListener("DOMContentLoaded", () => init(document));
  document.addEventListener("htmx:afterSettle", (e) => initSortableForms(e.target));
})();
