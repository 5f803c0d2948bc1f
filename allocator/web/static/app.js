"use strict";
(function () {
  const token = new URLSearchParams(location.search).get("token");
  const COLOURS = ["#1f5fa8", "#e07b00", "#2e8b57", "#b03a48", "#6a4c93", "#00838f", "#8d6e63", "#c0a000", "#546e7a", "#d81b60"];
  const state = { scenario: null, levers: [], base: null, view: null, ticket: null, pinned: [], seq: 0, timer: null };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v; else if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }
  function svgEl(tag, attrs) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }
  function headers() {
    const h = { "content-type": "application/json" };
    if (token) h["x-allocator-token"] = token;
    return h;
  }
  async function call(path, body) {
    const options = body === undefined ? { headers: token ? { "x-allocator-token": token } : {} }
      : { method: "POST", headers: headers(), body: JSON.stringify(body) };
    const response = await fetch(path, options);
    const type = response.headers.get("content-type") || "";
    if (!type.startsWith("application/json")) {
      if (!response.ok) throw Object.assign(new Error(`${response.status} ${response.statusText}`), { status: response.status });
      return response;
    }
    const data = await response.json();
    if (!response.ok) throw Object.assign(new Error(data.error || response.statusText), { status: response.status, data });
    return data;
  }
  function status(text) { $("status").textContent = text; }
  function showError(message) {
    $("error-box").hidden = !message;
    $("error").textContent = message ? `error: ${message}` : "";
  }

  // -- levers -------------------------------------------------------------------------------------------
  function changedLevers() {
    const out = {};
    for (const lever of state.levers) {
      const input = document.querySelector(`input[type=number][data-path="${CSS.escape(lever.path)}"]`);
      if (input && input.value !== "" && Number(input.value) !== lever.value) out[lever.path] = Number(input.value);
    }
    return out;
  }
  function leverControl(lever, index) {
    const id = `lever-${index}`;
    const number = el("input", { type: "number", id, min: lever.low, max: lever.high, step: "any", value: lever.value,
      "data-path": lever.path, "aria-describedby": `${id}-range` });
    const range = el("input", { type: "range", min: lever.low, max: lever.high, step: lever.step, value: lever.value,
      "aria-label": `${lever.label} (${lever.unit}) slider`, tabindex: "-1" });
    const box = el("div", { class: "lever" },
      el("label", { for: id, text: `${lever.label} (${lever.unit})` }),
      el("div", { class: "row" }, number, range),
      el("div", { class: "range", id: `${id}-range`, text: `${lever.path}: ${fmt(lever.low)} to ${fmt(lever.high)} ${lever.unit}; base ${fmt(lever.value)}` }));
    number.addEventListener("change", () => { range.value = number.value; changed(box, lever, number); });
    range.addEventListener("input", () => { number.value = range.value; changed(box, lever, number, 250); });
    return box;
  }
  function changed(box, lever, number, delay) {
    box.classList.toggle("changed", Number(number.value) !== lever.value);
    clearTimeout(state.timer);
    state.timer = setTimeout(resolve, delay || 0);
  }
  function fmt(x) { return Number(x).toLocaleString("en-US", { maximumFractionDigits: 4 }); }
  function drawLevers() {
    const groups = $("lever-groups");
    groups.replaceChildren();
    const byGroup = new Map();
    state.levers.forEach((lever, i) => {
      if (!byGroup.has(lever.group)) byGroup.set(lever.group, []);
      byGroup.get(lever.group).push(leverControl(lever, i));
    });
    let first = true;
    for (const [name, controls] of byGroup) {
      const details = el("details", {}, el("summary", { text: name }), ...controls);
      if (first) details.open = true;
      first = false;
      groups.append(details);
    }
  }
  function setLevers(values) {
    for (const lever of state.levers) {
      const input = document.querySelector(`input[type=number][data-path="${CSS.escape(lever.path)}"]`);
      const value = values[lever.path] !== undefined ? Number(values[lever.path]) : lever.value;
      input.value = value;
      input.nextElementSibling.value = value;
      input.closest(".lever").classList.toggle("changed", value !== lever.value);
    }
  }

  // -- solving ------------------------------------------------------------------------------------------
  async function resolve() {
    const levers = changedLevers();
    if (state.ticket) cancelSolve(true);
    const ticket = `t${Date.now()}-${++state.seq}`;
    state.ticket = ticket;
    $("cancel").hidden = false;
    status("Solving...");
    try {
      const view = await call("/api/solve", { scenario: state.scenario, levers, ticket });
      if (state.ticket !== ticket) return;
      if (view.cancelled) { status("Solve cancelled"); return; }
      showView(view);
      showError("");
      status(`Solved in ${view.seconds.toFixed(3)} s (${view.status})`);
    } catch (error) {
      if (state.ticket !== ticket) return;
      showError(error.message);
      status("The variant was not solved");
    } finally {
      if (state.ticket === ticket) { state.ticket = null; $("cancel").hidden = true; }
    }
  }
  function cancelSolve(quiet) {
    const ticket = state.ticket;
    if (!ticket) return;
    state.ticket = null;
    $("cancel").hidden = true;
    if (!quiet) status("Solve cancelled");
    call("/api/cancel", { ticket }).catch(() => {});
  }

  // -- the plan -----------------------------------------------------------------------------------------
  function showView(view) {
    state.view = view;
    const changes = Object.keys(view.levers).length;
    $("variant-name").textContent = changes ? `(variant: ${changes} lever${changes > 1 ? "s" : ""} changed)` : "(base)";
    const headline = $("headline");
    headline.replaceChildren(...view.headline.map((h) =>
      el("div", { "data-label": h.label }, el("dt", { text: h.label }), el("dd", { class: "value", text: h.text }))));
    $("moved").replaceChildren(...view.moved.map((s) => el("li", { text: s })));
    $("diagnosis-box").hidden = !view.diagnosis.length;
    $("diagnosis").replaceChildren(...view.diagnosis.map((s) => el("li", { text: s })));
    drawCharts(view);
    $("sections").replaceChildren(...view.sections.map(sectionTable));
    if (view.costliest.length) {
      $("sections").append(el("div", { class: "box" }, el("h3", { text: "Binding limits and their prices, in words" }),
        el("ul", {}, ...view.costliest.map((s) => el("li", { text: s })))));
    }
  }
  function sectionTable(section) {
    const numeric = section.kinds.map((k) => k !== "text" && k !== "flag");
    const table = el("table", { "data-section": section.key }, el("caption", { text: section.title }));
    table.append(el("thead", {}, el("tr", {}, ...section.columns.map((c, i) => el("th", { scope: "col", class: numeric[i] ? "num" : "", text: c })))));
    table.append(el("tbody", {}, ...section.rows.map((row) => el("tr", {}, ...row.map((cell, i) => el("td", { class: numeric[i] && i ? "num" : "", text: cell }))))));
    if (section.total) table.append(el("tfoot", {}, el("tr", {}, ...section.total.map((cell, i) => el("td", { class: numeric[i] && i ? "num" : "", text: cell })))));
    const box = el("div", { class: "scroll" }, table);
    const wrap = el("div", {}, box);
    const notes = [section.note, section.hidden ? `and ${section.hidden} more rows in ${section.source}` : ""].filter(Boolean);
    if (notes.length) wrap.append(el("p", { class: "note", text: notes.join("; ") }));
    return wrap;
  }

  // -- charts (drawn here from the section's numbers: nothing is fetched) ---------------------------------
  function scale(min, max, from, to) { return (v) => from + (max === min ? 0 : (v - min) / (max - min) * (to - from)); }
  function short(v) {
    const a = Math.abs(v);
    return a >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : a >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : `${Math.round(v)}`;
  }
  function chart(title, description, draw, legend) {
    const svg = svgEl("svg", { viewBox: "0 0 420 230", role: "img", "aria-label": `${title}: ${description}` });
    draw(svg);
    const figure = el("figure", { class: "chart" }, el("figcaption", { text: title }), svg);
    if (legend) figure.append(legend);
    return figure;
  }
  function axes(svg, y, ticks) {
    for (const t of ticks) {
      svg.append(svgEl("line", { x1: 50, x2: 410, y1: y(t), y2: y(t), stroke: "#e3e6ea" }));
      const label = svgEl("text", { x: 46, y: y(t) + 4, "text-anchor": "end", "font-size": 11, fill: "#55606f" });
      label.textContent = short(t);
      svg.append(label);
    }
  }
  function niceTicks(max) {
    const step = Math.pow(10, Math.floor(Math.log10(max || 1)));
    const unit = max / step > 5 ? step * 2 : max / step > 2 ? step : step / 2;
    const out = [];
    for (let t = 0; out.length < 2 || out[out.length - 1] < max; t += unit) out.push(t);
    return out;
  }
  function drawCharts(view) {
    const charts = $("charts");
    charts.replaceChildren();
    const matrix = view.sections.find((s) => s.key === "spend_matrix");
    const phasing = view.sections.find((s) => s.key === "phasing");
    if (matrix) charts.append(spendChart(matrix));
    if (phasing) charts.append(phasingChart(phasing));
  }
  function spendChart(section) {
    const periods = section.columns.slice(1).map((c) => c.replace(/ \(.*\)$/, ""));
    const rows = section.values.map((v, i) => ({ name: section.rows[i][0], spend: v.slice(1) }));
    const totals = periods.map((_, j) => rows.reduce((s, r) => s + (r.spend[j] || 0), 0));
    const max = Math.max(...totals, 1);
    const ticks = niceTicks(max);
    const y = scale(0, ticks[ticks.length - 1] || max, 200, 15);
    const width = 360 / periods.length;
    const legend = el("div", { class: "legend" }, ...rows.map((r, i) => el("span", { style: `--c:${COLOURS[i % COLOURS.length]}`, text: r.name })));
    return chart("Spend by channel and period", periods.map((p, j) => `${p} ${short(totals[j])}`).join(", "), (svg) => {
      axes(svg, y, ticks);
      periods.forEach((p, j) => {
        let base = 0;
        rows.forEach((r, i) => {
          const v = r.spend[j] || 0;
          if (v > 0) svg.append(svgEl("rect", { x: 55 + j * width + width * 0.15, width: width * 0.7, y: y(base + v), height: y(base) - y(base + v), fill: COLOURS[i % COLOURS.length] }));
          base += v;
        });
        const label = svgEl("text", { x: 55 + j * width + width / 2, y: 218, "text-anchor": "middle", "font-size": 11, fill: "#55606f" });
        label.textContent = p;
        svg.append(label);
      });
    }, legend);
  }
  function phasingChart(section) {
    const at = (key) => section.keys.indexOf(key);
    const rows = section.values.map((v, i) => ({ period: section.rows[i][0], revenue: v[at("revenue_total")], target: v[at("phased_target")],
      low: at("band_low") >= 0 ? v[at("band_low")] : null, high: at("band_high") >= 0 ? v[at("band_high")] : null }));
    const max = Math.max(...rows.map((r) => Math.max(r.revenue || 0, r.target || 0, r.high || 0)), 1);
    const ticks = niceTicks(max);
    const y = scale(0, ticks[ticks.length - 1] || max, 200, 15);
    const width = 360 / rows.length;
    const legend = el("div", { class: "legend" }, el("span", { style: "--c:#1f5fa8", text: "revenue" }),
      el("span", { style: "--c:#e07b00", text: "phased target" }), el("span", { style: "--c:#f3d9b1", text: "band" }));
    return chart("Revenue by period vs the phased target", rows.map((r) => `${r.period} ${short(r.revenue)} vs ${short(r.target)}`).join(", "), (svg) => {
      axes(svg, y, ticks);
      rows.forEach((r, j) => {
        const x = 55 + j * width;
        if (r.low !== null && r.high !== null) svg.append(svgEl("rect", { x: x + width * 0.05, width: width * 0.9, y: y(r.high), height: Math.max(1, y(r.low) - y(r.high)), fill: "#f3d9b1" }));
        svg.append(svgEl("rect", { x: x + width * 0.25, width: width * 0.5, y: y(r.revenue || 0), height: 200 - y(r.revenue || 0), fill: "#1f5fa8" }));
        if (r.target !== null) svg.append(svgEl("line", { x1: x + width * 0.1, x2: x + width * 0.9, y1: y(r.target), y2: y(r.target), stroke: "#e07b00", "stroke-width": 3 }));
        const label = svgEl("text", { x: x + width / 2, y: 218, "text-anchor": "middle", "font-size": 11, fill: "#55606f" });
        label.textContent = r.period;
        svg.append(label);
      });
    }, legend);
  }
  function frontierChart(points) {
    const good = points.filter((p) => p.spend !== null && p.revenue !== null);
    const xs = good.map((p) => p.spend), ys = good.map((p) => p.revenue);
    const pad = (lo, hi) => (hi - lo) * 0.1 || Math.abs(hi) * 0.05 || 1;
    const x = scale(Math.min(...xs) - pad(Math.min(...xs), Math.max(...xs)), Math.max(...xs) + pad(Math.min(...xs), Math.max(...xs)), 60, 400);
    const y = scale(Math.min(...ys) - pad(Math.min(...ys), Math.max(...ys)), Math.max(...ys) + pad(Math.min(...ys), Math.max(...ys)), 195, 20);
    const ordered = [...good].sort((a, b) => a.spend - b.spend);
    return chart("Frontier: revenue against spend of the pinned variants", good.map((p) => `${p.label}: spend ${short(p.spend)}, revenue ${short(p.revenue)}`).join("; "), (svg) => {
      svg.append(svgEl("line", { x1: 55, x2: 410, y1: 200, y2: 200, stroke: "#55606f" }));
      svg.append(svgEl("line", { x1: 55, x2: 55, y1: 10, y2: 200, stroke: "#55606f" }));
      svg.append(svgEl("polyline", { points: ordered.map((p) => `${x(p.spend)},${y(p.revenue)}`).join(" "), fill: "none", stroke: "#1f5fa8", "stroke-width": 2 }));
      good.forEach((p, i) => {
        svg.append(svgEl("circle", { cx: x(p.spend), cy: y(p.revenue), r: 5, fill: COLOURS[i % COLOURS.length] }));
        const right = x(p.spend) > 260;  // labels of points on the right read leftwards, inside the chart
        const label = svgEl("text", { x: x(p.spend) + (right ? -8 : 8), y: y(p.revenue) - 8, "font-size": 11, fill: "#1d2430",
          "text-anchor": right ? "end" : "start" });
        label.textContent = `${p.label} (${short(p.revenue)})`;
        svg.append(label);
      });
      const lo = [Math.min(...xs), Math.min(...ys)], hi = [Math.max(...xs), Math.max(...ys)];
      const ends = [[x(lo[0]), 213, "middle", short(lo[0])], [x(hi[0]), 213, "middle", short(hi[0])],
        [51, y(lo[1]) + 4, "end", short(lo[1])], [51, y(hi[1]) + 4, "end", short(hi[1])]];
      for (const [ex, ey, anchor, text] of ends) {
        const tick = svgEl("text", { x: ex, y: ey, "text-anchor": anchor, "font-size": 10, fill: "#55606f" });
        tick.textContent = text;
        svg.append(tick);
      }
      const xl = svgEl("text", { x: 230, y: 224, "text-anchor": "middle", "font-size": 11, fill: "#55606f" });
      xl.textContent = "spend";
      const yl = svgEl("text", { x: 10, y: 110, "font-size": 11, fill: "#55606f", transform: "rotate(-90 10 110)", "text-anchor": "middle" });
      yl.textContent = "revenue";
      svg.append(xl, yl);
    });
  }

  // -- pinning, comparing, saving, exporting -------------------------------------------------------------
  function pin() {
    if (!state.view) return;
    const levers = state.view.levers;
    const label = Object.keys(levers).length ? `variant ${state.pinned.length + 1}` : "base";
    state.pinned.push({ label, levers, revenue: state.view.headline.find((h) => h.label === "revenue") });
    drawPinned();
    status(`Pinned ${label}`);
  }
  function drawPinned() {
    const list = $("pinned-list");
    list.replaceChildren(...state.pinned.map((p, i) => {
      const remove = el("button", { type: "button", text: "Remove", "aria-label": `Remove ${p.label}` });
      remove.addEventListener("click", () => { state.pinned.splice(i, 1); drawPinned(); });
      const show = el("button", { type: "button", text: "Show", "aria-label": `Show ${p.label}` });
      show.addEventListener("click", () => { setLevers(p.levers); resolve(); });
      const text = Object.entries(p.levers).map(([k, v]) => `${k}=${v}`).join(", ") || "no changes";
      return el("li", {}, el("strong", { text: p.label }), " ", el("code", { text }), " ", show, " ", remove);
    }));
    $("compare").disabled = state.pinned.length < 2;
  }
  async function compare() {
    status("Comparing...");
    try {
      const result = await call("/api/compare", { scenario: state.scenario, variants: state.pinned.map((p) => ({ label: p.label, levers: p.levers })) });
      $("comparison").replaceChildren(frontierChart(result.frontier), el("h3", { text: "allocator compare" }),
        el("pre", { "data-testid": "compare-summary", text: result.summary.join("\n") }));
      showError("");
      status(`Compared ${result.labels.length} variants`);
    } catch (error) { showError(error.message); status("Not compared"); }
  }
  async function save(replace) {
    const body = { scenario: state.scenario, levers: state.view ? state.view.levers : {}, file: $("save-file").value.trim(),
      title: $("save-title").value.trim() || `${state.base.name} - variant`, replace: !!replace };
    try {
      const result = await call("/api/save", body);
      $("saved").textContent = `Saved ${result.saved} beside the scenario: ${result.command}`;
      showError("");
      await loadScenarios(state.scenario);
    } catch (error) {
      if (error.status === 409 && !replace && window.confirm(`${body.file} exists. Replace it?`)) return save(true);
      showError(error.message);
    }
  }
  async function exportPack(kind) {
    status(`Exporting ${kind}...`);
    try {
      const response = await call("/api/export", { scenario: state.scenario, levers: state.view ? state.view.levers : {}, kind });
      const blob = await response.blob();
      const name = (response.headers.get("content-disposition") || "").split("filename=")[1] || `report.${kind}`;
      const link = el("a", { href: URL.createObjectURL(blob), download: name.replace(/"/g, "") });
      document.body.append(link);
      link.click();
      link.remove();
      status(`Exported ${name.replace(/"/g, "")}`);
    } catch (error) { showError(error.message); status("Not exported"); }
  }

  // -- tracking (with a run store) -------------------------------------------------------------------------
  async function loadTracking() {
    const data = await call("/api/tracking");
    if (!data.available) {
      $("tracking").hidden = false;
      $("tracking-what").textContent = "";
      $("tracking-sections").replaceChildren(el("p", { class: "hint", text: data.reason }));
      $("replan").hidden = true;
      return;
    }
    $("tracking").hidden = false;
    $("replan").hidden = false;
    $("tracking-what").textContent = `(${data.quarter}: actuals before ${data.as_of} against ${data.plan}, run ${data.run})`;
    $("tracking-sections").replaceChildren(...data.sections.map(sectionTable));
  }
  async function replan() {
    status("Re-planning...");
    $("replan").disabled = true;
    try {
      const result = await call("/api/replan", {});
      $("replan-result").replaceChildren(el("h3", { text: `Re-plan from ${result.as_of}: ${result.status}, revenue ${result.revenue}` }),
        el("ul", {}, ...result.sentences.map((s) => el("li", { text: s }))));
      showError("");
      status("Re-planned");
    } catch (error) { showError(error.message); status("Not re-planned"); }
    finally { $("replan").disabled = false; }
  }

  // -- approved runs (with a run store) ---------------------------------------------------------------------
  async function loadRuns() {
    const data = await call("/api/runs");
    $("runs").hidden = false;
    if (!data.available) { $("run-list").replaceChildren(el("li", { class: "hint", text: data.reason })); return; }
    $("run-list").replaceChildren(...data.runs.map((r) => {
      const open = el("button", { type: "button", text: `Open run ${r.run}`, "data-run": r.id });
      open.disabled = !r.openable;
      open.addEventListener("click", () => { $("scenario").value = ""; openScenario(r.id); });
      const what = `${r.scenario_name} (${r.quarter}${r.current ? ", the approved plan" : ""}): revenue ${r.revenue}, spend ${r.spend}; ` +
        `approved ${r.approved_at} by ${r.approved_by}` + (r.note ? `: ${r.note}` : "") +
        `; overrides: ${r.overrides.join("; ") || "none"}`;
      const item = el("li", { "data-run": r.id }, el("strong", { text: `run ${r.run}` }), ` ${what} `, open);
      if (!r.openable) item.append(el("p", { class: "note", text: `cannot be opened: ${r.reason}` }));
      if (r.warning) item.append(el("p", { class: "box bad", text: `${r.warning}: ${r.changed.join("; ")}` }));
      return item;
    }));
  }
  function showRun(run) {
    const box = $("opened-run");
    box.hidden = !run;
    box.classList.toggle("bad", !!(run && run.warning));
    box.textContent = !run ? "" : `Approved run ${run.run} (${run.file}` + (run.overrides.length ? ` with ${run.overrides.join("; ")}` : "") +
      `), approved ${run.approved_at} by ${run.approved_by}` + (run.note ? `: ${run.note}` : "") +
      (run.warning ? `. Warning: ${run.warning}; this plan is solved from the scenario as it is now.` : "");
  }

  // -- start ----------------------------------------------------------------------------------------------
  async function loadScenarios(keep) {
    const data = await call("/api/scenarios");
    const select = $("scenario");
    select.replaceChildren(...data.scenarios.map((s) => el("option", { value: s.id, text: s.file })));
    select.value = keep || data.scenarios[0].id;
    state.store = data.store;
  }
  async function openScenario(id) {
    state.scenario = id;
    status("Opening...");
    try {
      const data = await call(`/api/open?scenario=${encodeURIComponent(id)}`);
      state.levers = data.levers;
      state.base = data.base;
      showRun(data.run);
      state.pinned = [];
      drawPinned();
      drawLevers();
      showView(data.base);
      showError("");
      $("comparison").replaceChildren();
      status(`Opened ${id}: ${data.base.status}`);
    } catch (error) { showError(error.message); status("Not opened"); }
  }
  $("scenario").addEventListener("change", (e) => openScenario(e.target.value));
  $("cancel").addEventListener("click", () => cancelSolve(false));
  $("reset").addEventListener("click", () => { setLevers({}); resolve(); });
  $("pin").addEventListener("click", pin);
  $("compare").addEventListener("click", compare);
  $("save").addEventListener("click", () => save(false));
  $("export-html").addEventListener("click", () => exportPack("html"));
  $("export-xlsx").addEventListener("click", () => exportPack("xlsx"));
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") cancelSolve(false); });
  $("replan").addEventListener("click", replan);
  loadScenarios().then(() => openScenario($("scenario").value))
    .then(() => (state.store ? loadRuns().catch((error) => showError(error.message)).then(loadTracking) : null)).catch((error) => { showError(error.message); status("Not started"); });
})();
