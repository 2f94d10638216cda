// The dispatcher's board: plain JavaScript, no build, no network but this service.
// The API key lives in sessionStorage (this tab only); every call sends it as a Bearer token.
"use strict";

(() => {
  const KEY = "dispatch.key";
  const ROLES = ["viewer", "dispatcher", "coordinator", "admin"];
  const POLL_MS = 1000;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const esc = (s) =>
    String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // ------------------------------------------------------------------ API and session

  class ApiError extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY) || ""}` };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  let me = null;

  function allows(role) {
    return me !== null && ROLES.indexOf(me.role) >= ROLES.indexOf(role);
  }

  function applyRole() {
    for (const role of ROLES.slice(1)) {
      for (const node of $$(`.role-${role}`)) node.hidden = !allows(role);
    }
    $("#who-name").textContent = me.name || me.id;
    $("#who-role").textContent = me.role;
    $("#who").hidden = false;
  }

  async function signIn(start) {
    const form = $("#sign-in-form");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(KEY, $("#api-key").value.trim());
      try {
        me = await api("GET", "/v1/me");
      } catch (err) {
        sessionStorage.removeItem(KEY);
        $("#sign-in-error").textContent =
          err.status === 401 ? "That key is unknown or revoked." : err.message;
        return;
      }
      $("#api-key").value = "";
      $("#sign-in").hidden = true;
      enter(start);
    });
    $("#sign-out").addEventListener("click", () => {
      sessionStorage.removeItem(KEY);
      location.reload();
    });
    if (sessionStorage.getItem(KEY)) {
      try {
        me = await api("GET", "/v1/me");
        enter(start);
        return;
      } catch (err) {
        sessionStorage.removeItem(KEY);
      }
    }
    $("#sign-in").hidden = false;
    $("#api-key").focus();
  }

  function enter(start) {
    applyRole();
    $("#main").hidden = false;
    start();
  }

  function toast(text, bad = false) {
    const node = $("#toast");
    node.textContent = text;
    node.classList.toggle("bad", bad);
    node.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (node.hidden = true), bad ? 9000 : 5000);
  }

  // ------------------------------------------------------------------ time, in the plan's offset

  let OFFSET = 0; // minutes east of UTC
  const pad = (n) => String(n).padStart(2, "0");
  const ms = (iso) => Date.parse(iso);

  function offsetOf(iso) {
    const m = /([+-])(\d\d):?(\d\d)$/.exec(iso || "");
    return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  }
  function offsetText(min = OFFSET) {
    const a = Math.abs(min);
    return `${min < 0 ? "-" : "+"}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  }
  function shifted(t) {
    return new Date(t + OFFSET * 60000);
  }
  function hhmm(t) {
    if (t === null || t === undefined || Number.isNaN(t)) return "";
    const d = shifted(t);
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }
  function at(iso) {
    return iso ? hhmm(ms(iso)) : "";
  }
  function inputValue(t) {
    const d = shifted(t);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${hhmm(t)}`;
  }
  function fromInput(value) {
    return value ? `${value.length === 16 ? value + ":00" : value}${offsetText()}` : null;
  }
  function minutes(m) {
    if (m === null || m === undefined) return "–";
    const h = Math.floor(m / 60);
    return h ? `${h}h ${pad(Math.round(m % 60))}m` : `${Math.round(m)}m`;
  }
  function isoMinutes(n) {
    return `PT${Math.round(n)}M`;
  }
  function durationMinutes(iso) {
    const m = /^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(iso || "");
    if (!m) return 0;
    return (Number(m[1] || 0) * 24 + Number(m[2] || 0)) * 60 + Number(m[3] || 0) + Number(m[4] || 0) / 60;
  }
  const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 100)}%`);
  const num = (x) => (x === null || x === undefined ? "–" : Number(x).toLocaleString("en", { maximumFractionDigits: 1 }));
  function utcStamp(iso) {
    return iso ? iso.replace("T", " ").slice(0, 16) + " UTC" : "";
  }

  function colour(i) {
    return `hsl(${Math.round((i * 137.508) % 360)}, 62%, 42%)`;
  }

  // ------------------------------------------------------------------ home: plans and submit

  async function home() {
    $("#status-filter").addEventListener("change", loadPlans);
    $("#refresh-plans").addEventListener("click", loadPlans);
    $("#submit-form").addEventListener("submit", submitDay);
    await loadPlans();
  }

  async function loadPlans() {
    const status = $("#status-filter").value;
    const page = await api("GET", `/v1/plans?limit=50${status ? `&status=${status}` : ""}`);
    const body = $("#plans tbody");
    body.innerHTML = page.items
      .map(
        (p) => `<tr data-plan="${esc(p.id)}">
        <td><a href="/plans/${encodeURIComponent(p.id)}">${esc(p.problem_id || p.id.slice(0, 8))}</a></td>
        <td><span class="badge ${esc(p.status)}">${esc(p.status)}</span></td>
        <td>${p.version}</td>
        <td>${esc(p.author.name || p.author.key_id || "")} <span class="muted">${esc(p.author.role || "")}</span></td>
        <td>${esc(utcStamp(p.created_at))}</td>
        <td class="num" data-k="objective"></td><td class="num" data-k="served"></td>
        <td class="num" data-k="unassigned"></td><td class="num" data-k="sla"></td>
        <td class="num" data-k="travel"></td></tr>`,
      )
      .join("");
    $("#plans-empty").hidden = page.items.length > 0;
    await Promise.all(
      page.items.map(async (p) => {
        const job = await api("GET", `/v1/plans/${encodeURIComponent(p.id)}`);
        const row = body.querySelector(`tr[data-plan="${CSS.escape(p.id)}"]`);
        const k = job.kpis || {};
        const put = (name, text) => (row.querySelector(`[data-k=${name}]`).textContent = text);
        put("objective", job.plan ? num(job.plan.objective.value) : "–");
        put("served", k.orders_served ?? "–");
        put("unassigned", k.orders_unassigned ?? "–");
        put("sla", pct(k.sla_met_rate));
        put("travel", minutes(k.travel_minutes));
      }),
    );
  }

  function showFieldErrors(form, list, errors) {
    for (const node of $$(".error[data-for]", form)) node.textContent = "";
    list.innerHTML = "";
    for (const e of errors) {
      const slot = $(`.error[data-for="${CSS.escape(e.path)}"]`, form);
      if (slot) {
        slot.textContent = e.message;
      } else {
        const li = document.createElement("li");
        li.innerHTML = `<code class="path">${esc(e.path || "(body)")}</code> ${esc(e.message)}`;
        list.append(li);
      }
    }
  }

  async function submitDay(ev) {
    ev.preventDefault();
    const form = ev.target;
    const list = $("#submit-errors");
    $("#submit-error").textContent = "";
    const file = $("#problem-file").files[0];
    if (!file) {
      showFieldErrors(form, list, [{ path: "problem", message: "Choose a problem file." }]);
      return;
    }
    let problem;
    try {
      problem = JSON.parse(await file.text());
    } catch (err) {
      showFieldErrors(form, list, [{ path: "problem", message: `The file is not JSON: ${err.message}` }]);
      return;
    }
    const preset = $("#preset").selectedOptions[0];
    const options = { ...JSON.parse(preset ? preset.dataset.options : "{}") };
    const limit = $("#time-limit").value;
    const workers = $("#workers").value;
    if (limit) options.time_limit = Number(limit);
    if (workers) options.workers = Number(workers);
    try {
      const job = await api("POST", "/v1/plans", { problem, options });
      location.href = `/plans/${encodeURIComponent(job.id)}`;
    } catch (err) {
      if (err.status === 422 && err.body.errors) {
        showFieldErrors(form, list, err.body.errors);
        $("#submit-error").textContent = `The problem was not accepted: ${err.body.detail}.`;
      } else {
        $("#submit-error").textContent = err.message;
      }
    }
  }

  // ------------------------------------------------------------------ plan page state

  const S = {
    id: null,
    job: null,
    problem: null,
    versions: [],
    shown: 0, // version on screen; 0 = the solve's best plan so far
    plan: null,
    changes: [],
    history: [],
    lastObjective: null,
    selected: null,
    pick: null,
  };
  let geo = null; // the problem's lookups, rebuilt with the problem

  function index(problem) {
    const orders = new Map(problem.orders.map((o) => [o.id, o]));
    const techs = new Map(problem.technicians.map((t, i) => [t.id, { ...t, colour: colour(i) }]));
    const depots = new Map((problem.depots || []).map((d) => [d.id, d]));
    const rows = [];
    problem.technicians.forEach((t, i) =>
      t.shifts.forEach((s, n) => rows.push({ tech: t, shift: s, id: s.id || `${t.id}-${n + 1}`, colour: colour(i) })),
    );
    const nodes = new Map();
    const travel = problem.travel || {};
    if (travel.model === "road_network") for (const n of travel.nodes) nodes.set(n.id, { lat: n.lat, lon: n.lon });
    return { orders, techs, depots, rows, nodes };
  }

  async function planPage() {
    S.id = document.body.dataset.planId;
    wireTabs();
    $("#version-select").addEventListener("change", (ev) => showVersion(Number(ev.target.value)));
    $("#cancel-solve").addEventListener("click", cancelSolve);
    $("#diff-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      showDiff(Number($("#diff-before").value), Number($("#diff-after").value));
    });
    $("#emergency-form").addEventListener("submit", findTechnicians);
    $("#event-form").addEventListener("submit", postOtherEvent);
    $("#ev-type").addEventListener("change", eventFields);
    $("#move-form").addEventListener("submit", moveFromDialog);
    window.addEventListener("resize", () => S.plan && drawBoard());
    $("#now").addEventListener("change", () => S.problem && drawGantt());
    await refresh();
  }

  async function refresh() {
    S.job = await api("GET", `/v1/plans/${encodeURIComponent(S.id)}`);
    if (S.job.version > 0) {
      S.versions = (await api("GET", `/v1/plans/${encodeURIComponent(S.id)}/versions`)).items;
      showVersion(S.job.version);
    } else {
      if (!S.problem) setProblem(await api("GET", `/v1/plans/${encodeURIComponent(S.id)}/problem`));
      S.plan = S.job.plan;
      S.changes = [];
      render();
    }
    if (S.job.status === "queued" || S.job.status === "solving") setTimeout(poll, POLL_MS);
  }

  async function poll() {
    let job;
    try {
      job = await api("GET", `/v1/plans/${encodeURIComponent(S.id)}`);
    } catch (err) {
      toast(`Could not reach the service (${err.message}); trying again.`, true);
      setTimeout(poll, 5 * POLL_MS);
      return;
    }
    S.job = job;
    if (job.status === "queued" || job.status === "solving") {
      if (job.plan && job.plan.objective.value !== S.lastObjective) {
        S.plan = job.plan;
        render();
      } else {
        renderHead();
      }
      setTimeout(poll, POLL_MS);
    } else {
      await refresh();
      toast(`The solve has ended: ${job.status}.`);
    }
  }

  async function cancelSolve() {
    try {
      await api("DELETE", `/v1/plans/${encodeURIComponent(S.id)}`);
    } catch (err) {
      toast(err.message, true);
    }
  }

  function setProblem(problem) {
    S.problem = problem;
    geo = index(problem);
    OFFSET = offsetOf(problem.horizon.start);
    $("#offset").textContent = `times in UTC${offsetText()}`;
    if (!$("#now").value) $("#now").value = inputValue(ms(problem.horizon.start));
  }

  function showVersion(number) {
    const v = S.versions.find((x) => x.number === number);
    if (!v) return;
    S.shown = number;
    setProblem(v.problem);
    S.plan = v.plan;
    S.changes = v.changes || [];
    render();
  }

  // ------------------------------------------------------------------ rendering

  function render() {
    renderHead();
    renderKpis();
    drawBoard();
    renderUnassigned();
    renderTerms();
    renderChanges();
    renderVersions();
    fillEventChoices();
  }

  function renderHead() {
    const job = S.job;
    $("#plan-title").textContent = job.problem_id || job.id.slice(0, 8);
    document.title = `${job.problem_id || "Plan"} · Dispatch board`;
    const badge = $("#job-status");
    badge.textContent = job.status;
    badge.className = `badge ${job.status}`;
    $("#plan-status").textContent = S.plan ? `plan ${S.plan.status}` : job.error || "no plan yet";
    const solving = job.status === "queued" || job.status === "solving";
    $("#cancel-solve").hidden = !solving || !allows("dispatcher");
    const select = $("#version-select");
    select.innerHTML = S.versions.length
      ? S.versions
          .map((v) => `<option value="${v.number}" ${v.number === S.shown ? "selected" : ""}>${v.number}${v.number === job.version ? " (latest)" : ""}</option>`)
          .join("")
      : `<option>best so far</option>`;
    select.disabled = !S.versions.length;
    // A solve that ended before this page saw it solving still shows its best plan's point.
    const solvedUnseen = job.status === "done" && job.version === 1 && !S.history.length;
    if (solving || S.history.length || solvedUnseen) {
      if (job.plan && job.plan.objective.value !== S.lastObjective) {
        // The job's last change is when its best plan was stored.
        const since = (ms(job.updated_at) - ms(job.started_at || job.created_at)) / 1000;
        S.history.push([Math.max(0, since), job.plan.objective.value]);
        S.lastObjective = job.plan.objective.value;
      }
      $("#progress").hidden = false;
      const best = S.history.length ? num(S.history[S.history.length - 1][1]) : "–";
      $("#progress-text").textContent = solving
        ? `solving · best ${best} · limit ${num(durationMinutes(job.options.time_limit) * 60)} s`
        : `solved · best ${best}`;
      drawProgress();
    }
  }

  function drawProgress() {
    const chart = $("#progress-chart");
    const pts = S.history;
    if (!pts.length) {
      chart.innerHTML = "";
      return;
    }
    const W = 220, H = 40, P = 4;
    const tMax = Math.max(1, ...pts.map((p) => p[0]), durationMinutes(S.job.options.time_limit) * 60);
    const vs = pts.map((p) => p[1]);
    const lo = Math.min(...vs), hi = Math.max(...vs);
    const x = (t) => P + ((W - 2 * P) * t) / tMax;
    const y = (v) => (hi === lo ? H / 2 : P + ((H - 2 * P) * (hi - v)) / (hi - lo));
    let d = `M${x(pts[0][0])},${y(pts[0][1])}`;
    for (let i = 1; i < pts.length; i++) d += ` H${x(pts[i][0])} V${y(pts[i][1])}`;
    chart.innerHTML = `<path d="${d}" fill="none" stroke="#1f5fbf" stroke-width="2"/>` +
      pts.map((p) => `<circle cx="${x(p[0])}" cy="${y(p[1])}" r="2.5" fill="#1f5fbf"><title>${num(p[1])} after ${Math.round(p[0])} s</title></circle>`).join("");
  }

  function kpi(label, value, small = "") {
    return `<div class="kpi"><b>${esc(value)}</b><span>${esc(label)}</span>${small ? `<small>${esc(small)}</small>` : ""}</div>`;
  }

  function byKey(map, fmt) {
    return Object.entries(map || {})
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(" · ");
  }

  function byPriority(map, fmt, nonZero = false) {
    return Object.entries(map || {})
      .filter(([, v]) => v !== null && v !== undefined && (!nonZero || v))
      .map(([k, v]) => `P${k} ${fmt(v)}`)
      .join(" · ");
  }

  function renderKpis() {
    const k = (S.plan && S.plan.kpis) || {};
    const box = $("#kpis");
    if (!S.plan) {
      box.innerHTML = kpi("Plan", "waiting for the first plan…");
      return;
    }
    const parts = [
      kpi("Objective", num(S.plan.objective.value)),
      kpi("Served", `${k.orders_served ?? "–"} / ${k.orders_total ?? "–"}`),
      kpi("Unassigned", k.orders_unassigned ?? "–", byPriority(k.unassigned_by_priority, (v) => v, true)),
      kpi("SLA met", pct(k.sla_met_rate), byPriority(k.sla_met_rate_by_priority, pct)),
    ];
    if (k.sla_met_rate_by_kind) parts.push(kpi("SLA by kind", "", byKey(k.sla_met_rate_by_kind, pct)));
    parts.push(kpi("Response", minutes(k.response_time_mean_minutes), `p90 ${minutes(k.response_time_p90_minutes)}`));
    if ("restore_time_mean_minutes" in k) parts.push(kpi("Restore", minutes(k.restore_time_mean_minutes), `p90 ${minutes(k.restore_time_p90_minutes)}`));
    parts.push(
      kpi("Travel", minutes(k.travel_minutes)),
      kpi("Overtime", minutes(k.overtime_minutes)),
      kpi("Utilisation", pct(k.utilisation)),
      kpi("Routes", k.routes_used ?? "–"),
    );
    const all = flatten(k)
      .map(([name, v]) => `<tr><td>${esc(name)}</td><td class="num">${esc(typeof v === "number" ? num(v) : v)}</td></tr>`)
      .join("");
    const open = box.querySelector("details[open]") ? "open" : "";
    parts.push(`<details class="kpi-all" ${open}><summary>All KPIs</summary><table class="grid">${all}</table></details>`);
    box.innerHTML = parts.join("");
  }

  function flatten(data, prefix = "") {
    // Every KPI leaf by dotted path (`utilisation_by_technician.T01`).
    if (data === null || typeof data !== "object") return [[prefix, data ?? "–"]];
    return Object.entries(data).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }

  // ------------------------------------------------------------------ Gantt

  const G = { LABEL: 132, ROW: 26, AXIS: 20, t0: 0, t1: 1, scale: 1, rowOf: new Map() };

  function span() {
    let t0 = Infinity, t1 = -Infinity;
    for (const r of geo.rows) {
      t0 = Math.min(t0, ms(r.shift.start));
      t1 = Math.max(t1, ms(r.shift.end) + durationMinutes(r.shift.max_overtime) * 60000);
    }
    for (const route of (S.plan && S.plan.routes) || []) {
      const last = route.items[route.items.length - 1];
      if (last && last.arrival) t1 = Math.max(t1, ms(last.arrival));
      if (route.items[0] && route.items[0].time) t0 = Math.min(t0, ms(route.items[0].time));
    }
    if (!Number.isFinite(t0)) {
      t0 = ms(S.problem.horizon.start);
      t1 = ms(S.problem.horizon.end);
    }
    const H = 3600000;
    const off = OFFSET * 60000;
    return [Math.floor((t0 + off) / H) * H - off, Math.ceil((t1 + off) / H) * H - off];
  }

  function changedSet() {
    return new Set((S.changes || []).map((c) => c.order));
  }

  function drawBoard() {
    const began = performance.now();
    drawGantt();
    drawMap();
    // The render benchmark reads these (benchmarks/board_render.py).
    performance.measure("board-draw", { start: began });
    if (S.plan) performance.mark("board-drawn");
  }

  function drawGantt() {
    const box = $("#gantt");
    const width = Math.max(640, box.clientWidth - 2);
    [G.t0, G.t1] = span();
    G.scale = (width - G.LABEL - 8) / (G.t1 - G.t0);
    G.rowOf = new Map(geo.rows.map((r, i) => [r.id, i]));
    const X = (t) => G.LABEL + (t - G.t0) * G.scale;
    const Y = (i) => G.AXIS + i * G.ROW;
    const height = G.AXIS + geo.rows.length * G.ROW + 4;
    const changed = changedSet();
    const out = [];
    // Axis: one tick an hour.
    for (let t = G.t0; t <= G.t1; t += 3600000) {
      out.push(`<line class="g-grid" x1="${X(t)}" x2="${X(t)}" y1="${G.AXIS - 4}" y2="${height}"/>`);
      out.push(`<text class="g-axis" x="${X(t) + 2}" y="12">${hhmm(t)}</text>`);
    }
    // Rows: one per technician shift.
    geo.rows.forEach((r, i) => {
      const y = Y(i);
      const s = ms(r.shift.start), e = ms(r.shift.end);
      const ot = durationMinutes(r.shift.max_overtime) * 60000;
      out.push(`<g class="g-row" data-row="${i}" data-shift="${esc(r.id)}" data-technician="${esc(r.tech.id)}">`);
      out.push(`<rect class="g-rowbg" x="0" y="${y}" width="${width}" height="${G.ROW}"/>`);
      out.push(`<rect class="g-shift" x="${X(s)}" y="${y + 3}" width="${(e - s) * G.scale}" height="${G.ROW - 6}"/>`);
      if (ot > 0) out.push(`<rect class="g-ot" x="${X(e)}" y="${y + 3}" width="${ot * G.scale}" height="${G.ROW - 6}"/>`);
      out.push(`<circle cx="8" cy="${y + G.ROW / 2}" r="4" fill="${r.colour}"/>`);
      out.push(`<text class="g-label" x="16" y="${y + 12}">${esc(r.tech.id)} ${esc(r.tech.name || "")}</text>`);
      out.push(`<text class="g-sub" x="16" y="${y + 23}">${esc(r.id)} ${hhmm(s)}–${hhmm(e)}</text>`);
      out.push(`</g>`);
    });
    // Routes.
    const centres = new Map(); // order -> [[x, y], ...]
    for (const route of (S.plan && S.plan.routes) || []) {
      const i = G.rowOf.get(route.shift);
      if (i === undefined) continue;
      const y = Y(i), mid = y + G.ROW / 2;
      const row = geo.rows[i];
      let prev = ms(route.items[0].time);
      for (const it of route.items.slice(1)) {
        const arrival = it.arrival ? ms(it.arrival) : ms(it.start);
        if (it.type !== "break" && arrival > prev) {
          out.push(`<line class="g-travel" x1="${X(prev)}" x2="${X(arrival)}" y1="${mid}" y2="${mid}"/>`);
        }
        if (it.type === "visit") {
          const s = ms(it.start), e = ms(it.end);
          if (s > arrival) out.push(`<line class="g-wait" x1="${X(arrival)}" x2="${X(s)}" y1="${mid}" y2="${mid}"/>`);
          const order = geo.orders.get(it.order) || {};
          const late = order.due && s > ms(order.due);
          const cls = ["visit", late ? "late" : "", changed.has(it.order) ? "changed" : "", order.pinned ? "pinned" : ""].join(" ");
          const w = Math.max(3, (e - s) * G.scale);
          const label = `${it.order} ${order.kind || ""} P${order.priority ?? 3}, ${hhmm(s)}–${hhmm(e)}${late ? `, late by ${minutes((s - ms(order.due)) / 60000)}` : ""}${it.crew.length > 1 ? `, crew ${it.crew.join(" + ")}` : ""}`;
          out.push(
            `<g class="${cls}" data-order="${esc(it.order)}" data-shift="${esc(route.shift)}" data-technician="${esc(route.technician)}" tabindex="0" role="button" aria-label="${esc(label)}">` +
              `<title>${esc(label)}</title>` +
              `<rect x="${X(s)}" y="${y + 4}" width="${w}" height="${G.ROW - 8}" rx="2" fill="${row.colour}"/>` +
              (w > 36 ? `<text x="${X(s) + 3}" y="${y + 17}">${esc(it.order)}</text>` : "") +
              `</g>`,
          );
          if (late) out.push(`<text class="g-late-mark" x="${X(e) + 2}" y="${y + 12}">!</text>`);
          if (!centres.has(it.order)) centres.set(it.order, []);
          centres.get(it.order).push([X(s) + w / 2, mid, X(s)]);
          prev = e;
        } else if (it.type === "depot") {
          const s = ms(it.start), e = ms(it.end);
          const what = [...(it.equipment || []), ...Object.entries(it.parts || {}).map(([p, q]) => `${q}× ${p}`)].join(", ");
          out.push(`<g class="g-depot"><title>${esc(`Depot ${it.depot} ${hhmm(s)}–${hhmm(e)}: ${what || "nothing picked up"}`)}</title><rect x="${X(s)}" y="${y + 6}" width="${Math.max(3, (e - s) * G.scale)}" height="${G.ROW - 12}"/></g>`);
          prev = e;
        } else if (it.type === "break") {
          const s = ms(it.start), e = ms(it.end);
          out.push(`<rect class="g-break" x="${X(s)}" y="${y + 6}" width="${(e - s) * G.scale}" height="${G.ROW - 12}"><title>Break ${hhmm(s)}–${hhmm(e)}</title></rect>`);
          prev = e;
        } else if (it.type === "end") {
          const end = ms(row.shift.end);
          if (arrival > end) {
            out.push(`<rect class="g-overtime" x="${X(end)}" y="${y + G.ROW - 6}" width="${(arrival - end) * G.scale}" height="4"><title>Overtime ${minutes((arrival - end) / 60000)}</title></rect>`);
          }
        }
      }
    }
    // Crews and linked visits, joined.
    for (const [order, pts] of centres) {
      if (pts.length > 1) {
        const ys = pts.map((p) => p[1]);
        out.push(`<line class="g-crew" x1="${pts[0][2]}" x2="${pts[0][2]}" y1="${Math.min(...ys)}" y2="${Math.max(...ys)}"><title>Crew of ${esc(order)}</title></line>`);
      }
      for (const link of (geo.orders.get(order) || {}).linked || []) {
        const other = centres.get(link.order);
        if (!other) continue;
        const [a, b] = [pts[0], other[0]];
        out.push(`<path class="g-link" d="M${a[0]},${a[1]} C${a[0]},${(a[1] + b[1]) / 2 - 10} ${b[0]},${(a[1] + b[1]) / 2 - 10} ${b[0]},${b[1]}"><title>${esc(order)} linked to ${esc(link.order)}</title></path>`);
      }
    }
    const now = ms(fromInput($("#now").value));
    if (now >= G.t0 && now <= G.t1) out.push(`<line class="g-now" x1="${X(now)}" x2="${X(now)}" y1="${G.AXIS - 4}" y2="${height}"/>`);
    box.innerHTML = `<svg id="gantt-svg" class="${allows("dispatcher") ? "g-drag" : ""}" width="${width}" height="${height}" role="group" aria-label="Schedule: one row per technician shift">${out.join("")}</svg>`;
    wireGantt($("#gantt-svg"));
  }

  function wireGantt(svg) {
    svg.addEventListener("click", (ev) => {
      const g = ev.target.closest(".visit");
      if (g && !G.dragged) select(g.dataset.order);
    });
    svg.addEventListener("keydown", (ev) => {
      const g = ev.target.closest(".visit");
      if (!g) return;
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        select(g.dataset.order);
      } else if ((ev.key === "m" || ev.key === "M") && allows("dispatcher")) {
        ev.preventDefault();
        openMoveDialog(g.dataset.order);
      }
    });
    if (allows("dispatcher")) svg.addEventListener("pointerdown", startDrag);
  }

  function rowAt(svg, clientY) {
    const y = clientY - svg.getBoundingClientRect().top;
    const i = Math.floor((y - G.AXIS) / G.ROW);
    return i >= 0 && i < geo.rows.length ? i : null;
  }

  function startDrag(ev) {
    const g = ev.target.closest(".visit");
    if (!g || ev.button !== 0) return;
    const svg = ev.currentTarget;
    const from = G.rowOf.get(g.dataset.shift);
    const x0 = ev.clientX, y0 = ev.clientY;
    const left = Number(g.querySelector("rect").getAttribute("x"));
    G.dragged = false;
    let target = from;
    const move = (e) => {
      const dx = e.clientX - x0, dy = e.clientY - y0;
      if (!G.dragged && Math.hypot(dx, dy) < 5) return;
      G.dragged = true;
      g.classList.add("dragging");
      const pinTime = $("#pin-time").checked;
      g.setAttribute("transform", `translate(${pinTime ? dx : 0},${dy})`);
      target = rowAt(svg, e.clientY);
      for (const r of $$(".g-row", svg)) r.classList.toggle("drop", Number(r.dataset.row) === target);
    };
    const up = async (e) => {
      svg.removeEventListener("pointermove", move);
      svg.removeEventListener("pointerup", up);
      if (!G.dragged) {
        select(g.dataset.order); // the svg holds the pointer, so it gets the click
        return;
      }
      setTimeout(() => (G.dragged = false), 0);
      const pinTime = $("#pin-time").checked;
      if (target === null || (target === from && !pinTime)) {
        drawGantt();
        return;
      }
      let start = null;
      if (pinTime) {
        const t = G.t0 + (left + e.clientX - x0 - G.LABEL) / G.scale;
        start = new Date(Math.round(t / 300000) * 300000).toISOString();
      }
      await moveVisit(g.dataset.order, geo.rows[target].tech.id, start);
    };
    svg.setPointerCapture(ev.pointerId);
    svg.addEventListener("pointermove", move);
    svg.addEventListener("pointerup", up);
  }

  function openMoveDialog(order) {
    $("#move-order").textContent = order;
    $("#move-tech").innerHTML = S.problem.technicians.map((t) => `<option value="${esc(t.id)}">${esc(t.id)} ${esc(t.name || "")}</option>`).join("");
    $("#move-start").value = "";
    $("#move-dialog").dataset.order = order;
    $("#move-dialog").showModal();
  }

  async function moveFromDialog(ev) {
    const dialog = $("#move-dialog");
    if (ev.submitter && ev.submitter.value !== "ok") return;
    const start = fromInput($("#move-start").value);
    await moveVisit(dialog.dataset.order, $("#move-tech").value, start ? new Date(ms(start)).toISOString() : null);
  }

  async function moveVisit(order, technician, start) {
    const body = { order, technician, now: nowIso(), version: S.job.version };
    if (start) body.start = start;
    try {
      const res = await api("POST", `/v1/plans/${encodeURIComponent(S.id)}/moves`, body);
      await afterNewVersion(res, `${order} pinned to ${technician}: version ${res.version} stored.`);
    } catch (err) {
      drawGantt();
      toast(err.status === 422 ? `Move refused: ${err.message}` : err.message, true);
      $("#move-result").textContent = err.status === 422 ? `Move refused: ${err.message}` : err.message;
    }
  }

  async function afterNewVersion(res, message) {
    S.job = await api("GET", `/v1/plans/${encodeURIComponent(S.id)}`);
    S.versions = (await api("GET", `/v1/plans/${encodeURIComponent(S.id)}/versions`)).items;
    showVersion(res.version);
    $("#move-result").textContent = message;
    toast(message);
    selectTab("t-changes");
  }

  function select(orderId) {
    S.selected = orderId;
    for (const g of $$(".visit")) g.classList.toggle("selected", g.dataset.order === orderId);
    const o = geo.orders.get(orderId);
    if (!o) return;
    const visits = [];
    for (const r of S.plan.routes) for (const it of r.items) if (it.type === "visit" && it.order === orderId) visits.push([r, it]);
    const v = visits[0];
    const windows = (o.time_windows || []).map((w) => `${at(w.start)}–${at(w.end)}`).join(", ") || "any time";
    const list = (m) => Object.entries(m || {}).map(([k, q]) => `${k} ${q}`).join(", ") || "none";
    const late = v && o.due && ms(v[1].start) > ms(o.due);
    const un = S.plan.unassigned.find((u) => u.order === orderId);
    const box = $("#details");
    box.innerHTML = `<h3>${esc(orderId)} · ${esc(o.kind)} · priority ${esc(o.priority)}${o.pinned ? " · pinned" : ""}</h3>
      <dl><dt>Window</dt><dd>${esc(windows)}</dd><dt>Due</dt><dd>${esc(o.due ? at(o.due) : "none")}${late ? " (late)" : ""}</dd></dl>
      <dl><dt>Served by</dt><dd>${esc(v ? v[1].crew.join(" + ") : "not served")}</dd><dt>Arrival · start · end</dt><dd>${v ? `${at(v[1].arrival)} · ${at(v[1].start)} · ${at(v[1].end)}` : esc(un ? un.reasons.map((r) => r.detail).join(" ") : "")}</dd></dl>
      <dl><dt>Skills</dt><dd>${esc(list(o.required_skills))}</dd><dt>Equipment</dt><dd>${esc((o.required_equipment || []).join(", ") || "none")}</dd></dl>
      <dl><dt>Parts</dt><dd>${esc(list(o.required_parts))}</dd><dt>Duration · crew</dt><dd>${esc(minutes(durationMinutes(o.duration)))} · ${esc(o.crew_size || 1)}</dd></dl>`;
    box.hidden = false;
  }

  // ------------------------------------------------------------------ map

  const M = { W: 400, H: 320, P: 14, project: null, invert: null, planar: false };

  function where(loc) {
    if (!loc) return null;
    if ("lat" in loc) return [loc.lon, loc.lat];
    if ("x" in loc) return [loc.x, loc.y];
    const n = geo.nodes.get(loc.node);
    return n ? [n.lon, n.lat] : null;
  }

  function fitMap() {
    const pts = [];
    for (const o of S.problem.orders) pts.push(where(o.location));
    for (const d of S.problem.depots || []) pts.push(where(d.location));
    for (const r of geo.rows) pts.push(where(r.shift.start_location), where(r.shift.end_location || r.shift.start_location));
    const ok = pts.filter(Boolean);
    const sample = S.problem.orders[0] && S.problem.orders[0].location;
    M.planar = Boolean(sample && "x" in sample);
    if (!ok.length) return 0;
    const xs = ok.map((p) => p[0]), ys = ok.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const k = M.planar ? 1 : Math.cos((((y0 + y1) / 2) * Math.PI) / 180);
    const w = Math.max((x1 - x0) * k, 1e-9), h = Math.max(y1 - y0, 1e-9);
    const s = Math.min((M.W - 2 * M.P) / w, (M.H - 2 * M.P) / h);
    const ox = (M.W - w * s) / 2, oy = (M.H - h * s) / 2;
    M.project = (p) => [ox + (p[0] - x0) * k * s, M.H - oy - (p[1] - y0) * s];
    M.invert = (x, y) => [x0 + (x - ox) / (k * s), y0 + (M.H - oy - y) / s];
    M.unit = s * k; // pixels per degree of longitude (or planar unit)
    return pts.length - ok.length;
  }

  function drawMap() {
    const box = $("#map");
    const missing = fitMap();
    $("#map-note").textContent = `${M.planar ? "planar x/y" : "lat/lon"}${missing ? ` · ${missing} places without coordinates not drawn` : ""}`;
    if (!M.project) {
      box.innerHTML = "";
      return;
    }
    const P = (loc) => {
      const p = where(loc);
      return p ? M.project(p) : null;
    };
    const changed = changedSet();
    const out = [];
    const served = new Map();
    const dense = S.problem.orders.length > 300; // smaller marks where there are many
    const r = dense ? 2.5 : 4, d = dense ? 3.5 : 6;
    for (const route of (S.plan && S.plan.routes) || []) {
      const tech = geo.techs.get(route.technician);
      const row = geo.rows[G.rowOf.get(route.shift)];
      if (!tech || !row) continue;
      const line = [P(row.shift.start_location)];
      for (const it of route.items) {
        if (it.type === "visit") {
          line.push(P(geo.orders.get(it.order)?.location));
          if (!served.has(it.order)) served.set(it.order, tech.colour);
        } else if (it.type === "depot") line.push(P(geo.depots.get(it.depot)?.location));
      }
      line.push(P(row.shift.end_location || row.shift.start_location));
      const pts = line.filter(Boolean).map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(" ");
      out.push(`<polyline class="m-route${dense ? " thin" : ""}" points="${pts}" stroke="${tech.colour}" data-technician="${esc(route.technician)}"><title>${esc(route.technician)} route</title></polyline>`);
    }
    for (const r of geo.rows) {
      const p = P(r.shift.start_location);
      if (p) out.push(`<circle class="m-home" cx="${p[0]}" cy="${p[1]}" r="4" stroke="${r.colour}"><title>${esc(r.tech.id)} starts here</title></circle>`);
    }
    for (const d of S.problem.depots || []) {
      const p = P(d.location);
      if (p) out.push(`<rect class="m-depot" x="${p[0] - 5}" y="${p[1] - 5}" width="10" height="10"><title>Depot ${esc(d.id)}</title></rect>`);
    }
    const unassigned = new Set(((S.plan && S.plan.unassigned) || []).map((u) => u.order));
    for (const o of S.problem.orders) {
      const p = P(o.location);
      if (!p) continue;
      if (served.has(o.id)) {
        out.push(`<circle class="m-order" data-order="${esc(o.id)}" cx="${p[0]}" cy="${p[1]}" r="${r}" fill="${served.get(o.id)}"><title>${esc(o.id)} ${esc(o.kind)} P${esc(o.priority)}</title></circle>`);
      } else if (unassigned.has(o.id) || !S.plan) {
        out.push(`<path class="m-unassigned" data-order="${esc(o.id)}" d="M${p[0]},${p[1] - d} L${p[0] + d},${p[1]} L${p[0]},${p[1] + d} L${p[0] - d},${p[1]} Z"><title>${esc(o.id)} unassigned</title></path>`);
      }
      if (changed.has(o.id)) out.push(`<circle class="m-changed" cx="${p[0]}" cy="${p[1]}" r="8"><title>${esc(o.id)} changed</title></circle>`);
    }
    if (S.pick) {
      const p = M.project(S.pick);
      out.push(`<g class="m-pick"><circle cx="${p[0]}" cy="${p[1]}" r="9"/><line x1="${p[0] - 13}" x2="${p[0] + 13}" y1="${p[1]}" y2="${p[1]}"/><line x1="${p[0]}" x2="${p[0]}" y1="${p[1] - 13}" y2="${p[1] + 13}"/></g>`);
    }
    out.push(scaleBar());
    box.innerHTML = `<svg id="map-svg" viewBox="0 0 ${M.W} ${M.H}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="Map: routes, depots and unassigned orders">${out.join("")}</svg>`;
    $("#map-svg").addEventListener("click", pickOnMap);
    box.classList.toggle("picking", allows("coordinator"));
  }

  function scaleBar() {
    // One kilometre (or one planar unit) and its multiples, whichever fits in ~80 px.
    const perUnit = M.planar ? M.unit : M.unit / 111.32; // px per km on the map
    const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
    const len = steps.find((v) => v * perUnit >= 60) || steps[steps.length - 1];
    const px = len * perUnit;
    return `<g><line x1="10" x2="${10 + px}" y1="${M.H - 8}" y2="${M.H - 8}" stroke="#5d6675" stroke-width="2"/><text class="m-scale" x="10" y="${M.H - 12}">${len} ${M.planar ? "units" : "km"}</text></g>`;
  }

  function pickOnMap(ev) {
    if (!allows("coordinator")) return;
    const svg = ev.currentTarget;
    const pt = svg.createSVGPoint();
    pt.x = ev.clientX;
    pt.y = ev.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    const [a, b] = M.invert(p.x, p.y);
    S.pick = [a, b];
    $("#em-a").value = (M.planar ? a : b).toFixed(M.planar ? 2 : 6);
    $("#em-b").value = (M.planar ? b : a).toFixed(M.planar ? 2 : 6);
    selectTab("t-emergency");
    drawMap();
  }

  // ------------------------------------------------------------------ lists

  function renderUnassigned() {
    // What a dispatcher must act on first: mandatory orders, then by priority and due time.
    const rank = (u) => {
      const o = geo.orders.get(u.order) || {};
      return [u.mandatory ? 0 : 1, o.priority ?? 3, o.due || "~", u.order];
    };
    const before = (a, b) => {
      const x = rank(a), y = rank(b);
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
      return 0;
    };
    const list = [...((S.plan && S.plan.unassigned) || [])].sort(before);
    $("#unassigned-count").textContent = `(${list.length})`;
    $("#unassigned tbody").innerHTML = list
      .map((u) => {
        const o = geo.orders.get(u.order) || {};
        const must = u.mandatory ? " <strong>mandatory</strong>" : "";
        return `<tr data-order="${esc(u.order)}"><td><button class="link" data-show="${esc(u.order)}">${esc(u.order)}</button>${must}</td><td>${esc(o.kind)}</td><td>${esc(o.priority)}</td><td>${esc(o.due ? at(o.due) : "")}</td>
          <td>${u.reasons.map((r) => `<code>${esc(r.code)}</code> ${esc(r.detail)}`).join("<br>")}</td></tr>`;
      })
      .join("");
    for (const b of $$("#unassigned [data-show]")) b.addEventListener("click", () => select(b.dataset.show));
  }

  function renderTerms() {
    const terms = (S.plan && S.plan.objective.terms) || {};
    $("#terms tbody").innerHTML =
      Object.entries(terms)
        .map(([k, v]) => `<tr><td>${esc(k.replace(/_/g, " "))}</td><td class="num">${num(v)}</td></tr>`)
        .join("") + (S.plan ? `<tr><th>total</th><th class="num">${num(S.plan.objective.value)}</th></tr>` : "");
  }

  function changeRows(list) {
    return list
      .map((c) => `<tr class="changed" data-order="${esc(c.order)}"><td>${esc(c.order)}</td><td>${esc(c.from_technician || "–")}</td><td>${esc(c.to_technician || "–")}</td><td>${esc(at(c.old_start))}</td><td>${esc(at(c.new_start))}</td></tr>`)
      .join("");
  }

  function renderChanges() {
    $("#changes-count").textContent = S.changes.length ? `(${S.changes.length})` : "";
    $("#changes tbody").innerHTML = changeRows(S.changes) || `<tr><td colspan="5" class="muted">No changes in this version.</td></tr>`;
  }

  function inputSummary(v) {
    const input = v.input || {};
    if (input.move) return `moved ${input.move.order} to ${input.move.technician}${input.move.start ? ` at ${at(input.move.start)}` : ""}`;
    if (input.events) return input.events.map((e) => `${e.type.replace(/_/g, " ")} ${e.order?.id || e.order || e.technician || ""}`).join("; ");
    const opts = input.options || {};
    return `submitted${opts.time_limit ? `, limit ${opts.time_limit} s` : ""}`;
  }

  function renderVersions() {
    $("#versions tbody").innerHTML = S.versions
      .map(
        (v) => `<tr class="${v.number === S.shown ? "changed" : ""}"><td>${v.number}</td><td>${esc(v.input && v.input.move ? "move" : v.kind)}</td>
        <td>${esc(v.author.name || v.author.key_id || "")} <span class="muted">${esc(v.author.role || "")}</span></td>
        <td>${esc(at(v.created_at))}</td><td>${esc(inputSummary(v))}</td><td class="num">${num(v.plan.objective.value)}</td>
        <td><button class="small" data-version="${v.number}">Show</button></td></tr>`,
      )
      .join("");
    for (const b of $$("#versions [data-version]")) b.addEventListener("click", () => showVersion(Number(b.dataset.version)));
    const opts = (sel) => S.versions.map((v) => `<option value="${v.number}" ${v.number === sel ? "selected" : ""}>${v.number}</option>`).join("");
    const last = S.versions.length ? S.versions[S.versions.length - 1].number : 0;
    $("#diff-before").innerHTML = opts(Math.max(1, last - 1));
    $("#diff-after").innerHTML = opts(last);
  }

  async function showDiff(before, after) {
    const d = await api("GET", `/v1/plans/${encodeURIComponent(S.id)}/diff?before=${before}&after=${after}`);
    const table = (title, list) =>
      `<h3>${title} (${list.length})</h3>` +
      (list.length
        ? `<table class="grid"><thead><tr><th>Order</th><th>From</th><th>To</th><th>Old start</th><th>New start</th></tr></thead><tbody>${changeRows(list)}</tbody></table>`
        : `<p class="muted">none</p>`);
    const deltas = [d.objective, ...d.terms, ...d.kpis].filter((x) => x.delta);
    const sign = (x) => (x > 0 ? "+" : "") + num(x);
    $("#diff").innerHTML =
      `<div class="diff">${table("Moved", d.moved)}${table("Added", d.added)}${table("Dropped", d.dropped)}` +
      `<h3>Numbers that changed</h3><table class="grid"><thead><tr><th>What</th><th class="num">Version ${before}</th><th class="num">Version ${after}</th><th class="num">Change</th></tr></thead><tbody>` +
      (deltas.map((x) => `<tr><td>${esc(x.name)}</td><td class="num">${num(x.before)}</td><td class="num">${num(x.after)}</td><td class="num delta ${x.delta > 0 ? "up" : "down"}">${sign(x.delta)}</td></tr>`).join("") ||
        `<tr><td colspan="4" class="muted">none</td></tr>`) +
      `</tbody></table></div>`;
  }

  // ------------------------------------------------------------------ tabs

  function wireTabs() {
    const tabs = $$("[role=tab]");
    for (const t of tabs) {
      t.addEventListener("click", () => selectTab(t.id));
      t.addEventListener("keydown", (ev) => {
        if (ev.key !== "ArrowRight" && ev.key !== "ArrowLeft") return;
        const shown = tabs.filter((x) => !x.hidden);
        const i = shown.indexOf(t) + (ev.key === "ArrowRight" ? 1 : -1);
        const next = shown[(i + shown.length) % shown.length];
        selectTab(next.id);
        next.focus();
      });
    }
  }

  function selectTab(id) {
    for (const t of $$("[role=tab]")) {
      const on = t.id === id;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(`#${t.getAttribute("aria-controls")}`).hidden = !on;
    }
  }

  // ------------------------------------------------------------------ emergencies and events

  function nowIso() {
    return fromInput($("#now").value) || S.problem.horizon.start;
  }

  function emergencyOrder() {
    const a = Number($("#em-a").value), b = Number($("#em-b").value);
    const location = M.planar ? { x: a, y: b } : { lat: a, lon: b };
    const skills = {};
    for (const part of $("#em-skills").value.split(",")) {
      const [name, level] = part.split(":").map((s) => s.trim());
      if (name) skills[name] = Number(level || 1);
    }
    const order = {
      id: $("#em-id").value.trim(),
      kind: $("#em-kind").value,
      location,
      duration: isoMinutes(Number($("#em-duration").value)),
      required_skills: skills,
      priority: Number($("#em-priority").value),
      crew_size: Number($("#em-crew").value || 1),
      created_at: nowIso(),
    };
    const due = fromInput($("#em-due").value);
    if (due) order.due = due;
    return order;
  }

  function prepareEmergency() {
    $("#em-a-label").textContent = M.planar ? "x" : "Latitude";
    $("#em-b-label").textContent = M.planar ? "y" : "Longitude";
    if (!$("#em-id").value) $("#em-id").value = `EMG-${S.job.version + 1}`;
    if (!$("#em-due").value && S.problem) {
      // Two hours after now, or after the first shift starts if that is later.
      const first = Math.min(...geo.rows.map((r) => ms(r.shift.start)));
      $("#em-due").value = inputValue(Math.max(ms(nowIso()), first) + 2 * 3600000);
    }
  }

  async function findTechnicians(ev) {
    ev.preventDefault();
    $("#em-error").textContent = "";
    $("#em-errors").innerHTML = "";
    const order = emergencyOrder();
    const table = $("#recommendations");
    try {
      const res = await api("POST", `/v1/plans/${encodeURIComponent(S.id)}/recommendations`, { order, now: nowIso(), k: 5 });
      table.hidden = false;
      const body = $("tbody", table);
      body.innerHTML =
        res.items
          .map(
            (r, i) => `<tr><td>${i + 1}</td><td>${esc(r.technician)}</td><td>${esc(at(r.arrival))}</td><td>${esc(at(r.start))}</td>
            <td>${r.sla_met === null ? "no due" : r.sla_met ? "yes" : "no"}</td><td class="num">${num(r.cost_delta)}</td>
            <td>${esc(r.changes.map((c) => `${c.order} ${c.to_technician ? `${at(c.old_start)}→${at(c.new_start)}` : "dropped"}`).join(", ") || "nothing")}</td>
            <td><button class="small" data-accept="${i}">Accept</button></td></tr>`,
          )
          .join("") +
        `<tr><td colspan="7" class="muted">${
          res.items.length
            ? "Or let the re-planner choose."
            : order.crew_size > 1
              ? "Recommendations are for one technician; a crew order is placed by the re-planner."
              : "No technician can fit it as the day stands; the re-planner may still move work."
        }</td><td><button class="small" data-accept="-1">Post as is</button></td></tr>`;
      for (const b of $$("[data-accept]", body)) {
        b.addEventListener("click", () => {
          const r = res.items[Number(b.dataset.accept)];
          const accepted = r ? { ...order, pinned: { technician: r.technician } } : order;
          postEvents([{ type: "order_added", order: accepted }], `${order.id} ${r ? `given to ${r.technician}` : "posted"}`);
        });
      }
    } catch (err) {
      table.hidden = true;
      $("#em-error").textContent = err.message;
      for (const e of err.body?.errors || []) {
        const li = document.createElement("li");
        li.innerHTML = `<code class="path">${esc(e.path)}</code> ${esc(e.message)}`;
        $("#em-errors").append(li);
      }
    }
  }

  async function postEvents(events, what) {
    for (const b of $$("[data-accept], #event-form button")) b.disabled = true;
    try {
      const res = await api("POST", `/v1/plans/${encodeURIComponent(S.id)}/events`, { now: nowIso(), events, version: S.job.version, time_limit: 3 });
      $("#recommendations").hidden = true;
      $("#em-id").value = "";
      S.pick = null;
      await afterNewVersion(res, `${what}: version ${res.version} stored, ${res.changes.length} changes.`);
      prepareEmergency();
    } catch (err) {
      toast(err.message, true);
      $("#ev-error").textContent = err.message;
    } finally {
      for (const b of $$("[data-accept], #event-form button")) b.disabled = false;
    }
  }

  function fillEventChoices() {
    if (!S.problem) return;
    const served = new Set();
    for (const r of (S.plan && S.plan.routes) || []) for (const it of r.items) if (it.type === "visit") served.add(it.order);
    $("#ev-order").innerHTML = S.problem.orders.map((o) => `<option value="${esc(o.id)}">${esc(o.id)}${served.has(o.id) ? "" : " (unassigned)"}</option>`).join("");
    $("#ev-tech").innerHTML = S.problem.technicians.map((t) => `<option value="${esc(t.id)}">${esc(t.id)} ${esc(t.name || "")}</option>`).join("");
    if (!$("#ev-at").value) $("#ev-at").value = $("#now").value;
    prepareEmergency();
    eventFields();
  }

  function eventFields() {
    const type = $("#ev-type").value;
    for (const f of $$("#event-form [data-ev]")) f.hidden = !f.dataset.ev.split(" ").includes(type);
    $("#ev-at-label").textContent = { technician_unavailable: "From", visit_delayed: "Expected end" }[type] || "At";
  }

  async function postOtherEvent(ev) {
    ev.preventDefault();
    $("#ev-error").textContent = "";
    const type = $("#ev-type").value;
    const order = $("#ev-order").value, tech = $("#ev-tech").value;
    const when = fromInput($("#ev-at").value);
    const event = {
      order_cancelled: { type, order },
      technician_unavailable: { type, technician: tech, from: when, until: fromInput($("#ev-until").value) },
      visit_started: { type, order, at: when },
      visit_completed: { type, order, at: when },
      visit_delayed: { type, order, expected_end: when },
    }[type];
    await postEvents([event], type.replace(/_/g, " "));
  }

  // ------------------------------------------------------------------ start

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.body.dataset.page;
    signIn(page === "plan" ? planPage : home).catch((err) => toast(err.message, true));
  });
})();
