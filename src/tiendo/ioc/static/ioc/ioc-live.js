// The live page (/ioc/): paints the snapshot (state.json), then applies the stream's deltas
// (/ioc/stream, Server-Sent Events). When the stream fails for good it polls the snapshot.
// Map and sparklines: Apache ECharts from npm. No inline script or style (the CSP refuses them).
(function () {
  "use strict";
  var source = document.getElementById("ioc-page-data");
  if (!source) return;
  var page = JSON.parse(source.textContent);
  var L = page.labels;
  var lang = document.documentElement.lang || "vi";
  var numbers = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 2 });
  var COLOURS = { online: "#198754", offline: "#dc3545", never: "#6c757d" };
  var SPARK_POINTS = 48;
  var POLL_MS = 10000;
  // Even with the stream open, the snapshot is read again now and then: a server without Redis
  // (one process) does not hear the events of an ingest running in another process.
  var REFRESH_MS = 60000;

  var devices = {};   // code -> device row
  var alerts = {};    // id -> alert row
  var tiles = {};     // "device/metric" -> { row, element, chart }
  var lastId = "";
  var map = null, mapReady = false, redrawQueued = false;
  var stream = null, pollTimer = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmt(v) { return v === null || v === undefined ? "—" : numbers.format(v); }
  function simulatedBadge() { return el("span", "badge text-bg-warning simulated-badge ms-1", L.simulated); }
  function status(text, cls) {
    var badge = document.getElementById("live-status");
    badge.textContent = text;
    badge.className = "badge " + cls;
  }

  // --- the map ---------------------------------------------------------------------------------
  function markers() {
    var openOn = {};
    Object.keys(alerts).forEach(function (id) { if (alerts[id].device) openOn[alerts[id].device] = true; });
    return Object.keys(devices).filter(function (code) {
      return devices[code].lat !== null && devices[code].lon !== null;
    }).map(function (code) {
      var d = devices[code];
      return {
        name: code, value: [d.lon, d.lat],
        symbolSize: openOn[code] ? 16 : 10,
        itemStyle: { color: COLOURS[d.state] || COLOURS.never, borderColor: openOn[code] ? "#000" : "#fff", borderWidth: openOn[code] ? 2 : 1 },
      };
    });
  }
  function redraw() {
    if (!map || redrawQueued) return;
    redrawQueued = true;
    window.requestAnimationFrame(function () {
      redrawQueued = false;
      map.setOption({ series: [{ id: "devices", data: markers() }] });
    });
  }
  function tooltip(p) {
    var d = devices[p.name];
    if (!d) return p.name;
    var lines = [d.name + (d.simulated ? " (" + L.simulated + ")" : ""), (L[d.state] || d.state)];
    d.metrics.forEach(function (m) {
      if (m.value !== null) lines.push(m.name + ": " + fmt(m.value) + " " + (m.unit_code || ""));
    });
    return lines.map(function (line) { return echarts.format.encodeHTML(line); }).join("<br>");
  }
  function startMap(geo) {
    var element = document.getElementById("ioc-map");
    map = echarts.init(element, null, { renderer: "canvas" });
    var series = { id: "devices", type: "scatter", data: markers(), symbolSize: 10, zlevel: 1 };
    var option = { animation: false, tooltip: { trigger: "item", formatter: tooltip } };
    if (geo) {
      echarts.registerMap("ioc-units", geo);
      option.geo = { map: "ioc-units", roam: true, itemStyle: { areaColor: "#f3f3f3", borderColor: "#aaa" },
                     emphasis: { disabled: true } };
      series.coordinateSystem = "geo";
    } else {
      option.xAxis = { type: "value", scale: true, name: "lon" };
      option.yAxis = { type: "value", scale: true, name: "lat" };
    }
    option.series = [series];
    map.setOption(option);
    map.on("click", function (p) {
      if (p.seriesId === "devices") window.location.href = page.deviceUrl + encodeURIComponent(p.name) + "/";
    });
    window.addEventListener("resize", function () { map.resize(); });
    mapReady = true;
    element.dataset.ready = "true";
  }

  // --- tiles -----------------------------------------------------------------------------------
  function renderTiles(rows) {
    var holder = document.getElementById("ioc-tiles");
    Object.keys(tiles).forEach(function (key) { tiles[key].chart.dispose(); });  // a snapshot again
    holder.replaceChildren();
    tiles = {};
    rows.forEach(function (row) {
      var key = row.device + "/" + row.metric;
      var col = el("div", "col-6 col-md-4 col-xl-2");
      var card = el("div", "card h-100 ioc-tile");
      card.dataset.series = key;
      var body = el("div", "card-body p-2");
      var name = el("div", "small text-truncate", row.device_name);
      name.title = row.device_name;
      var metric = el("div", "small text-muted", row.name + (row.unit_code ? " (" + row.unit_code + ")" : ""));
      var value = el("div", "value", fmt(row.value));
      if (row.simulated) metric.appendChild(simulatedBadge());
      var spark = el("div", "ioc-spark");
      body.append(name, metric, value, spark);
      card.appendChild(body);
      col.appendChild(card);
      holder.appendChild(col);
      var chart = echarts.init(spark, null, { renderer: "svg" });
      var tile = { row: row, card: card, value: value, chart: chart, points: row.spark.slice(-SPARK_POINTS) };
      drawSpark(tile);
      tiles[key] = tile;
    });
  }
  function drawSpark(tile) {
    tile.chart.setOption({
      animation: false, grid: { left: 0, right: 0, top: 2, bottom: 2 },
      xAxis: { type: "time", show: false }, yAxis: { type: "value", show: false, scale: true },
      series: [{ type: "line", data: tile.points, showSymbol: false, lineStyle: { width: 1.5 }, areaStyle: { opacity: 0.15 } }],
    });
  }

  // --- alerts ----------------------------------------------------------------------------------
  function renderAlerts() {
    var list = document.getElementById("ioc-alerts");
    list.replaceChildren();
    var ids = Object.keys(alerts).sort(function (a, b) { return alerts[b].started_at < alerts[a].started_at ? -1 : 1; });
    document.getElementById("alert-count").textContent = ids.length;
    if (!ids.length) list.appendChild(el("li", "list-group-item small text-muted", L.noAlerts));
    ids.forEach(function (id) {
      var a = alerts[id];
      var item = el("li", "list-group-item small ioc-alert severity-" + a.severity);
      item.dataset.alert = id;
      item.dataset.status = a.status;
      var head = el("div", "d-flex justify-content-between");
      head.append(el("strong", "", L[a.severity] || a.severity), el("span", "text-muted", new Date(a.started_at).toLocaleString(lang)));
      var message = el("div", "alert-text", a.message);  // the message names the value and the threshold
      if (a.simulated) message.appendChild(simulatedBadge());
      var state = el("span", "badge " + (a.status === "active" ? "text-bg-danger" : "text-bg-secondary"), L[a.status] || a.status);
      var actions = el("div", "mt-1 d-flex gap-1 align-items-center");
      actions.appendChild(state);
      if (a.may_act !== false) {
        if (a.status === "active") actions.appendChild(button(id, "acknowledge", L.acknowledge, "btn-outline-primary"));
        actions.appendChild(button(id, "clear", L.clear, "btn-outline-secondary"));
      }
      item.append(head, message, actions);
      list.appendChild(item);
    });
  }
  function button(id, action, label, cls) {
    var b = el("button", "btn btn-sm py-0 " + cls, label);
    b.type = "button";
    b.dataset.action = action;
    b.dataset.alert = id;
    return b;
  }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  document.getElementById("ioc-alerts").addEventListener("click", function (event) {
    var b = event.target.closest("button[data-action]");
    if (!b) return;
    var message = document.getElementById("alert-message");
    message.textContent = "";
    b.disabled = true;
    fetch(page.alertUrl + b.dataset.alert + "/" + b.dataset.action, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json", "X-Requested-With": "fetch" },
    }).then(function (response) {
      if (response.status === 404 || response.status === 405) { message.textContent = L.unavailable; b.disabled = false; return; }
      if (!response.ok) { message.textContent = L.failed + " (" + response.status + ")"; b.disabled = false; return; }
      // the alert pages answer with a redirect whether or not the alert could still be acted on:
      // the snapshot tells (the stream brings the same change a moment later)
      return load();
    }).catch(function () { message.textContent = L.failed; b.disabled = false; });
  });

  // --- applying the snapshot and the deltas ----------------------------------------------------
  function applySnapshot(state) {
    devices = {};
    state.devices.forEach(function (d) { devices[d.code] = d; });
    alerts = {};
    state.alerts.forEach(function (a) { alerts[a.id] = a; });
    lastId = state.last_event_id || lastId;
    renderTiles(state.tiles);
    renderAlerts();
    if (mapReady) redraw();
  }
  function onReading(e) {
    var d = devices[e.device];
    if (!d) return;
    var metric = null;
    d.metrics.forEach(function (m) { if (m.code === e.metric) metric = m; });
    if (metric && (!metric.ts || e.ts >= metric.ts)) { metric.value = e.value; metric.ts = e.ts; }
    d.last_seen_at = e.ts;
    if (d.state !== "online") d.state = "online";
    if (d.moving && (e.metric === "lat" || e.metric === "lon")) d[e.metric] = e.value;
    var tile = tiles[e.device + "/" + e.metric];
    if (tile) {
      tile.value.textContent = fmt(e.value);
      tile.points.push([e.ts, e.value]);
      if (tile.points.length > SPARK_POINTS) tile.points.shift();
      drawSpark(tile);
      tile.card.classList.remove("ioc-flash");
      void tile.card.offsetWidth;
      tile.card.classList.add("ioc-flash");
    }
    redraw();
  }
  function onDevice(e) {
    var d = devices[e.device];
    if (!d) return;
    d.state = e.state;
    d.last_seen_at = e.last_seen_at;
    redraw();
  }
  function onAlert(e) {
    if (e.status === "cleared") delete alerts[e.id];
    else {
      var before = alerts[e.id] || {};
      e.may_act = before.may_act !== undefined ? before.may_act : true;
      alerts[e.id] = e;
    }
    renderAlerts();
    redraw();
  }
  function handler(apply) {
    return function (message) {
      lastId = message.lastEventId || lastId;
      try { apply(JSON.parse(message.data)); } catch (err) { /* a malformed delta: the next snapshot repairs it */ }
    };
  }

  function load() {
    return fetch(page.stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(applySnapshot);
  }
  function poll() {
    if (pollTimer) return;
    status(L.polling, "text-bg-warning");
    pollTimer = window.setInterval(function () { load().catch(function () {}); }, POLL_MS);
  }
  function connect() {
    if (typeof EventSource === "undefined") { poll(); return; }
    var url = page.streamUrl + (page.streamUrl.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastId);
    stream = new EventSource(url, { withCredentials: true });
    stream.addEventListener("open", function () {
      status(L.live, "text-bg-success");
      if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
      document.getElementById("ioc-map").dataset.stream = "open";
    });
    stream.addEventListener("reading", handler(onReading));
    stream.addEventListener("device", handler(onDevice));
    stream.addEventListener("alert", handler(onAlert));
    stream.addEventListener("reset", function () { load().catch(function () {}); });
    stream.addEventListener("error", function () {
      if (stream.readyState === EventSource.CLOSED) { poll(); window.setTimeout(function () { load().then(connect).catch(function () {}); }, POLL_MS); }
      else status("…", "text-bg-secondary");
    });
  }

  var boundaries = page.mapUrl ? fetch(page.mapUrl).then(function (r) { return r.json(); }).catch(function () { return null; }) : Promise.resolve(null);
  Promise.all([load(), boundaries]).then(function (results) {
    startMap(results[1]);
    connect();
    window.setInterval(function () { if (!pollTimer) load().catch(function () {}); }, REFRESH_MS);
  }).catch(function () {
    startMap(null);
    poll();
  });
})();
