// The moderators' workspace: keys for a queue's cards, decisions made in place, and a
// commenter's history in a drawer. Without this script every card's forms post and come
// back to the queue, and a commenter's name opens their page.
// A decision asks the same address for the card's new state (header X-Workspace: card):
// the card is replaced, or leaves when its comment has left the queue.
(function () {
  "use strict";

  const help = document.getElementById("keyboard-help");
  const drawer = document.getElementById("drawer");
  let drawerOpener = null;

  function cards() {
    return Array.from(document.querySelectorAll("[data-card]"));
  }

  // The card a key acts on: the one that has the focus, or holds it.
  function currentCard() {
    const active = document.activeElement;
    return active && active.closest ? active.closest("[data-card]") : null;
  }

  function focusCard(card) {
    if (!card) return;
    card.focus();
    card.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = cards();
    if (!all.length) return;
    const here = currentCard();
    let index = here ? all.indexOf(here) + step : step > 0 ? 0 : all.length - 1;
    index = Math.max(0, Math.min(all.length - 1, index));
    focusCard(all[index]);
  }

  function say(text) {
    const status = document.getElementById("decision-status");
    if (status) status.textContent = text;
  }

  function countDown() {
    const count = document.querySelector("[data-current-count]");
    if (count && /^[0-9]+$/.test(count.textContent)) {
      count.textContent = String(Math.max(0, Number(count.textContent) - 1));
    }
  }

  // The last card of the page has gone: the next ones are a reload away (decided
  // comments have left the queue, so the page starts where this one ended).
  function pageDone() {
    const done = document.createElement("p");
    done.className = "queue-empty";
    const more = document.createElement("a");
    more.href = window.location.pathname + window.location.search;
    more.textContent = "This page is done: show the next comments";
    done.appendChild(more);
    (document.querySelector(".queue-pages") || help).before(done);
    more.focus();
  }

  function parsed(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  async function decide(form, submitter) {
    const card = form.closest("[data-card]");
    if (!card || card.getAttribute("aria-busy") === "true") return;
    const data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    card.setAttribute("aria-busy", "true");
    let text;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { "X-Workspace": "card" },
        credentials: "same-origin",
      });
      text = await response.text();
    } catch (error) {
      card.removeAttribute("aria-busy");
      say("The decision could not be sent: check the connection and try again.");
      return;
    }
    card.removeAttribute("aria-busy");
    const answer = parsed(text).querySelector(".decided");
    if (!answer) {
      // A sign-in page after the session ended, a refused request: nothing to show here.
      say("Nothing was decided: reload the page (you may need to sign in again).");
      return;
    }
    say(answer.querySelector(".decided-message").textContent);
    const fresh = answer.querySelector("[data-card]");
    if (!fresh) return; // a refused form: the card is as it was
    if (answer.dataset.stays === "true") {
      card.replaceWith(document.adoptNode(fresh));
      focusCard(fresh);
      return;
    }
    const all = cards();
    const index = all.indexOf(card);
    const next = all[index + 1] || all[index - 1];
    const item = card.closest("li") || card;
    const part = item.closest(".cards-part");
    item.remove();
    if (part && !part.querySelector("[data-card]")) part.remove();
    countDown();
    if (next) focusCard(next);
    else pageDone();
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches(".decision-form")) return;
    event.preventDefault();
    decide(form, event.submitter);
  });

  // A commenter's history, in the drawer beside the queue.

  async function openDrawer(link) {
    const address = new URL(link.href, window.location.href);
    address.searchParams.set("part", "drawer");
    let html;
    try {
      const response = await fetch(address, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      html = await response.text();
    } catch (error) {
      window.location.href = link.href; // their page, then
      return;
    }
    const body = drawer.querySelector(".drawer-body");
    body.replaceChildren(...Array.from(parsed(html).body.childNodes, (node) => document.adoptNode(node)));
    drawerOpener = link.closest("[data-card]") || link;
    drawer.hidden = false;
    drawer.focus();
  }

  function closeDrawer() {
    drawer.hidden = true;
    if (drawerOpener) drawerOpener.focus();
    drawerOpener = null;
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a[data-drawer]");
    if (link && drawer && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      openDrawer(link);
    } else if (event.target.closest && event.target.closest("[data-drawer-close]")) {
      closeDrawer();
    }
  });

  // The keys.

  function press(card, key) {
    const button = card.querySelector('button[data-key="' + key + '"]');
    if (button) button.form.requestSubmit(button);
  }

  function rejectFor(card, number) {
    const select = card.querySelector('select[data-key="r"]');
    if (!select || number >= select.options.length) return;
    select.value = select.options[number].value;
    select.form.requestSubmit(select.form.querySelector('button[value="reject"]'));
  }

  function sanction(card) {
    const more = card.querySelector('details[data-key="s"]');
    if (!more) return;
    more.open = true;
    more.querySelector("select, input:not([type=hidden])").focus();
  }

  function nextQueue() {
    const tabs = Array.from(document.querySelectorAll(".queue-tabs a"));
    const here = tabs.findIndex((tab) => tab.getAttribute("aria-current") === "page");
    if (tabs.length) tabs[(here + 1) % tabs.length].click();
  }

  function follow(card, selector) {
    const link = card.querySelector(selector);
    if (link) link.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    // In the reasons to reject, Enter rejects for the reason chosen.
    if (target.matches && target.matches('select[data-key="r"]') && event.key === "Enter") {
      event.preventDefault();
      target.form.requestSubmit(target.form.querySelector('button[value="reject"]'));
      return;
    }
    if (event.key === "Escape" && drawer && !drawer.hidden) {
      closeDrawer();
      return;
    }
    if (target.closest && target.closest("input, select, textarea, [contenteditable]")) return;
    if (event.key === "Escape" && help && help.open) {
      help.open = false;
      return;
    }
    const everywhere = {
      "?": function () {
        if (help) help.open = !help.open;
      },
      j: function () {
        move(1);
      },
      k: function () {
        move(-1);
      },
      t: nextQueue,
      "/": function () {
        const search = document.getElementById("queue-search-q");
        if (search) search.focus();
      },
    };
    if (everywhere[event.key]) {
      event.preventDefault();
      everywhere[event.key]();
      return;
    }
    // Decisions act on the card in focus, never on one the moderator has not chosen.
    const card = currentCard();
    if (!card || card.getAttribute("aria-busy") === "true") return;
    if (event.key === "a" || event.key === "u" || event.key === "f") {
      press(card, event.key);
    } else if (/^[1-9]$/.test(event.key)) {
      rejectFor(card, Number(event.key));
    } else if (event.key === "r") {
      const select = card.querySelector('select[data-key="r"]');
      if (select) select.focus();
    } else if (event.key === "s") {
      sanction(card);
    } else if (event.key === "o") {
      follow(card, "a.card-in-thread");
    } else if (event.key === "p") {
      follow(card, "a.card-person");
    } else {
      return;
    }
    event.preventDefault();
  });

  // Back from a decision without the script (or any link to a card): that card in focus.
  const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target && target.matches("[data-card]")) focusCard(target);
})();
