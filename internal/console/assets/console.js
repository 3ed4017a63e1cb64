// The console's behaviour: live lists over server-sent events, confirmed actions with the
// CSRF token, refresh of running executions. Everything from the server is inserted with
// textContent, never as HTML.
(function () {
  "use strict";
  const meta = (n) => document.querySelector('meta[name="' + n + '"]').content;
  const base = meta("console-base");
  const csrf = meta("csrf-token");
  const live = document.getElementById("live");

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function link(href, text) {
    const a = el("a", text);
    a.href = href;
    return a;
  }

  function stream(params, handlers) {
    let es = null;
    const open = () => {
      if (es) es.close();
      es = new EventSource(base + "api/events?" + params().toString());
      es.onopen = () => { live.hidden = false; };
      es.onerror = () => { live.hidden = true; };
      for (const [name, fn] of Object.entries(handlers)) {
        es.addEventListener(name, (m) => fn(JSON.parse(m.data)));
      }
    };
    open();
    return open;
  }

  // Executions list: filter by status, search by key, live rows.
  function listPage() {
    const form = document.getElementById("filter");
    const status = document.getElementById("status");
    const q = document.getElementById("q");
    const tbody = document.querySelector("#executions tbody");
    const empty = document.getElementById("empty");
    const params = () => {
      const p = new URLSearchParams();
      if (status.value) p.set("status", status.value);
      if (q.value) p.set("q", q.value);
      return p;
    };
    const render = (rows) => {
      tbody.replaceChildren(...rows.map((r) => {
        const tr = el("tr");
        tr.dataset.arn = r.arn;
        const st = el("td");
        st.append(el("span", r.status, "status s-" + r.status.toLowerCase()));
        const name = el("td");
        name.append(link(r.link, r.name));
        if (r.redriveCount) name.append(" ", el("small", "(redriven " + r.redriveCount + "×)"));
        tr.append(st, el("td", r.key, "key"), el("td", r.error || "", "err"), name, el("td", r.start), el("td", r.duration));
        return tr;
      }));
      empty.hidden = rows.length > 0;
    };
    const reopen = stream(params, { executions: render });
    let timer = null;
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const p = params().toString();
        history.replaceState(null, "", p ? "?" + p : location.pathname);
        reopen();
      }, 200);
    };
    form.addEventListener("submit", (e) => { e.preventDefault(); changed(); });
    status.addEventListener("change", changed);
    q.addEventListener("input", changed);
  }

  // Notifications list: live rows, each linking to its execution.
  function notificationsPage() {
    const tbody = document.querySelector("#notifications tbody");
    const empty = document.getElementById("empty");
    stream(() => new URLSearchParams(), {
      notifications: (rows) => {
        const trs = [];
        for (const r of rows) {
          const tr = el("tr");
          const ex = el("td");
          if (r.execLink) {
            const a = link(r.execLink, r.execName);
            a.title = r.execution;
            ex.append(a);
          }
          tr.append(el("td", r.received), el("td", r.subject), el("td", r.key, "key"), el("td", r.step), el("td", r.error, "err"), ex);
          const msg = el("tr", null, "message");
          const td = el("td");
          td.colSpan = 6;
          const d = el("details");
          d.append(el("summary", "message"), el("pre", r.message));
          td.append(d);
          msg.append(td);
          trs.push(tr, msg);
        }
        tbody.replaceChildren(...trs);
        empty.hidden = rows.length > 0;
      },
    });
  }

  // A running execution's page reloads when its status or history grows. Clicking a
  // state in the graph opens its (latest) step.
  function executionPage() {
    const root = document.getElementById("execution");
    if (!root) return;
    for (const g of document.querySelectorAll("#graph g.node")) {
      g.addEventListener("click", () => {
        const steps = [...document.querySelectorAll("#steps li.step")].filter((li) => li.dataset.state === g.dataset.state);
        const li = steps[steps.length - 1];
        if (!li) return;
        li.querySelector("details").open = true;
        li.scrollIntoView({ block: "start" });
        li.classList.add("flash");
        setTimeout(() => li.classList.remove("flash"), 1200);
      });
    }
    if (root.dataset.status !== "RUNNING") return;
    live.hidden = false;
    let polls = 0;
    const poll = async () => {
      if (++polls > 3600) return; // an hour of polling at most; reload to resume
      try {
        const r = await fetch(base + "api/execution?arn=" + encodeURIComponent(root.dataset.arn));
        if (r.ok) {
          const s = await r.json();
          if (s.status !== root.dataset.status || String(s.events) !== root.dataset.events) {
            location.reload();
            return;
          }
        }
      } catch (e) { /* the server restarting; try again */ }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  }

  // Actions: confirm in a dialog, POST with the CSRF token, show the outcome.
  function confirmDialog(text) {
    const dlg = document.getElementById("confirm");
    document.getElementById("confirm-text").textContent = text;
    return new Promise((resolve) => {
      dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
      dlg.showModal();
    });
  }

  async function act(btn) {
    const out = document.getElementById("action-result");
    if (!(await confirmDialog(btn.dataset.confirm || "Are you sure?"))) return;
    btn.disabled = true;
    out.hidden = false;
    out.className = "result";
    out.textContent = "Working…";
    try {
      const r = await fetch(base + "api/" + btn.dataset.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ arn: btn.dataset.arn || "", bucket: btn.dataset.bucket || "", key: btn.dataset.key || "" }),
      });
      const body = await r.json();
      out.replaceChildren();
      if (!r.ok) {
        out.className = "result bad";
        out.textContent = body.error || ("failed: HTTP " + r.status);
        return;
      }
      out.append(el("span", body.message));
      if (body.link) out.append(" ", link(body.link, "open execution"));
    } catch (e) {
      out.className = "result bad";
      out.textContent = String(e);
    } finally {
      btn.disabled = false;
    }
  }

  document.addEventListener("click", (e) => {
    const btn = e.target.closest("button.action");
    if (btn) { e.preventDefault(); act(btn); }
  });

  const pageName = document.body.dataset.page;
  if (pageName === "list") listPage();
  if (pageName === "notifications") notificationsPage();
  if (pageName === "execution") executionPage();
})();
