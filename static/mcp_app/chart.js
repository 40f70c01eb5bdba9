/* Spark's MCP Apps view: draws a chat_gwi, query_survey or explore_insight_gwi answer.
 *
 * Speaks the MCP Apps extension (io.modelcontextprotocol/ui, protocol 2026-01-26) with its host over
 * postMessage: sends ui/initialize, then ui/notifications/initialized; draws what arrives in
 * ui/notifications/tool-input and ui/notifications/tool-result; reports its height with
 * ui/notifications/size-changed. It loads nothing and talks to nobody but its host.
 *
 * `chartOf` (which chart a result gets) is pure, and is exported under Node for the unit tests.
 */
(function () {
  "use strict";

  var PROTOCOL_VERSION = "2026-01-26";

  // -- which chart: pure functions of the tool's structured content and arguments --------------------
  function bulletLines(response) {
    return String(response || "").split("\n").slice(1).filter(function (line) {
      return line.indexOf("- ") === 0 && line.indexOf(": ") > 0;
    }).map(function (line) {
      var at = line.indexOf(": ");
      return { label: line.slice(2, at), rest: line.slice(at + 2) };
    });
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function sameFigure(a, b) {
    return a.attribute.key === b.attribute.key && a.metrics.audience_sample === b.metrics.audience_sample &&
      a.metrics.audience_percentage === b.metrics.audience_percentage;
  }

  // The insights by attribute, in order, each figure once (a share and an index of one figure are one).
  function groups(insights) {
    var byKey = [];
    (insights || []).forEach(function (insight) {
      var group = byKey.filter(function (g) { return g.key === insight.attribute.key; })[0];
      if (!group) {
        group = { key: insight.attribute.key, datapoint: insight.attribute.datapoint, items: [] };
        byKey.push(group);
      }
      var seen = group.items.filter(function (item) { return sameFigure(item, insight); })[0];
      if (!seen) group.items.push(insight);
      else if (seen.kind !== "percentage" && insight.kind === "percentage") group.items[group.items.indexOf(seen)] = insight;
    });
    return byKey;
  }

  function figure(insight) {
    var m = insight.metrics;
    return { share: m.audience_percentage, index: m.audience_index, sample: m.audience_sample, low: !!m.low_confidence };
  }

  // Each answer's share wave by wave, read from the response's lines ("TikTok: Q1 2024 54%, Q2 2024 55%, …").
  function trendSeries(structured) {
    var waves = ((structured.sources || {}).waves || []).map(function (w) { return w.name; });
    var series = bulletLines(structured.response).map(function (line) {
      var points = waves.map(function (wave) {
        var found = new RegExp("(?:^|, )" + escapeRegExp(wave) + " (\\d+(?:\\.\\d+)?)%").exec(line.rest);
        return found ? Number(found[1]) : null;
      });
      return { label: line.label, points: points };
    }).filter(function (s) {
      return s.points.filter(function (p) { return p !== null; }).length >= 2;
    });
    return series.length ? { waves: waves, series: series } : null;
  }

  // The sides' names: from the first line ("62% of Gen Z vs 40% of millennials"), else the sources.
  function sideLabels(count, structured) {
    var lines = bulletLines(structured.response);
    if (lines.length) {
      var parts = lines[0].rest.replace(/\s*\([^)]*\)\s*$/, "").split(/ vs |, /).map(function (part) {
        return part.replace(/^\d+(?:\.\d+)?% (?:of |in )?/, "");
      });
      if (parts.length === count) return parts;
    }
    var sources = structured.sources || {};
    var lists = [sources.audiences, sources.locations, sources.waves];
    for (var i = 0; i < lists.length; i++) {
      if (lists[i] && lists[i].length === count) return lists[i].map(function (s) { return s.name; });
    }
    return Array.from({ length: count }, function (_, i) { return "Side " + (i + 1); });
  }

  function answerLabels(grouped, structured) {
    var lines = bulletLines(structured.response);
    return grouped.map(function (g, i) {
      return lines.length === grouped.length ? lines[i].label : g.items[0].text;
    });
  }

  function isBreakdown(structured, args) {
    if (args && args.breakdown) return true;
    return (structured.understood || []).some(function (u) { return u.indexOf("breakdown:") === 0; });
  }

  function exploreChart(structured) {
    var calc = structured.calculations[0];
    var key = structured.origins.attributes.length ? structured.origins.attributes[0].key : "";
    var rows = calc.datapoints.map(function (dp) {
      var row = figure({ metrics: dp.metrics });
      row.label = dp.name;
      row.highlight = dp.key === key;
      return row;
    }).sort(function (a, b) { return (b.share || 0) - (a.share || 0); });
    return {
      shape: "profile", title: structured.insight.text, rows: rows,
      base: calc.base.sample, subtitle: calc.question.name,
    };
  }

  function chartOf(structured, args) {
    if (!structured) return null;
    if (structured.calculations && structured.calculations.length) return exploreChart(structured);
    var grouped = groups(structured.insights);
    if (!grouped.length) return null;
    var title = String(structured.response || "").split("\n")[0];
    var trend = trendSeries(structured);
    if (trend || (args && args.trend)) {
      return { shape: "trend", title: title, waves: trend ? trend.waves : [], series: trend ? trend.series : [], groups: grouped };
    }
    var sides = Math.max.apply(null, grouped.map(function (g) { return g.items.length; }));
    if (sides < 2) {
      var rows = grouped.map(function (g) {
        var row = figure(g.items[0]);
        row.label = g.items[0].text;
        return row;
      });
      return { shape: "profile", title: title, rows: rows, base: rows[0].sample };
    }
    var labels = answerLabels(grouped, structured);
    return {
      shape: isBreakdown(structured, args) ? "breakdown" : "comparison",
      title: title,
      sides: sideLabels(sides, structured),
      rows: grouped.map(function (g, i) { return { label: labels[i], values: g.items.map(figure) }; }),
    };
  }

  if (typeof document === "undefined") {
    globalThis.sparkChart = { chartOf: chartOf };
    return;
  }

  // -- drawing ------------------------------------------------------------------------------------
  var view = document.getElementById("view");

  function el(tag, attrs, children) {
    var node = tag.indexOf("svg:") === 0
      ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
      : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function pct(value) {
    return value === null || value === undefined ? "n/a" : Math.round(value) + "%";
  }

  function bar(share, side, low) {
    var fill = el("span", { class: "bar" + (low ? " low" : "") });
    fill.style.width = Math.max(0, Math.min(100, share || 0)) + "%";
    fill.style.background = "var(--side-" + (side % 4) + ")";
    return el("span", { class: "track", "aria-hidden": "true" }, [fill]);
  }

  function lowFlag(low) {
    return low ? el("span", { class: "flag", text: "Low sample" }) : null;
  }

  function valueText(f, withIndex) {
    var parts = [pct(f.share)];
    if (withIndex && f.index !== null && f.index !== undefined) parts.push("index " + Math.round(f.index));
    parts.push("n = " + f.sample);
    return parts.join(" · ");
  }

  function valueOf(f, withIndex) {
    return el("span", { class: "value" }, [el("span", { class: "figures", text: valueText(f, withIndex) }), lowFlag(f.low)]);
  }

  function indexTrack(index, top) {
    var mark = el("span", { class: "marker" });
    mark.style.left = Math.max(0, Math.min(100, (index || 0) / top * 100)) + "%";
    var average = el("span", { class: "average" });
    average.style.left = (100 / top * 100) + "%";
    return el("span", { class: "index-track", "aria-hidden": "true" }, [average, mark]);
  }

  function drawProfile(chart) {
    var top = Math.max(200, Math.ceil(Math.max.apply(null, chart.rows.map(function (r) { return r.index || 0; })) / 50) * 50);
    var list = el("ul", { class: "rows" }, chart.rows.map(function (row) {
      var label = el("span", { class: "label", text: row.label + (row.highlight ? " (this insight)" : "") });
      var value = valueOf(row, true);
      return el("li", { class: "row" }, [label, el("span", { class: "line" }, [bar(row.share, 0, row.low), value]), indexTrack(row.index, top)]);
    }));
    var legend = el("p", { class: "legend", text: "Bars: share of the audience. Diamonds: index against the average person (dashed line = 100)." });
    return [legend, list];
  }

  function sideLines(row, sides) {
    return row.values.map(function (f, i) {
      return el("span", { class: "line sided" }, [
        el("span", { class: "side", text: sides[i] }),
        bar(f.share, i, f.low),
        valueOf(f, false),
      ]);
    });
  }

  function legendOf(names) {
    return el("ul", { class: "legend" }, names.map(function (name, i) {
      var key = el("span", { class: "key", "aria-hidden": "true" });
      key.style.background = "var(--side-" + (i % 4) + ")";
      return el("li", {}, [key, document.createTextNode(name)]);
    }));
  }

  function drawComparison(chart) {
    var list = el("ul", { class: "rows" }, chart.rows.map(function (row) {
      return el("li", { class: "row" }, [el("span", { class: "label", text: row.label })].concat(sideLines(row, chart.sides)));
    }));
    return [legendOf(chart.sides), list];
  }

  function drawBreakdown(chart) {
    var panels = chart.rows.map(function (row) {
      return el("section", { class: "panel" }, [el("h2", { text: row.label })].concat(sideLines(row, chart.sides)));
    });
    return [legendOf(chart.sides), el("div", { class: "multiples" }, panels)];
  }

  function drawTrend(chart) {
    // Drawn at the view's own width, so that its text keeps its size at every width.
    var width = Math.max(260, Math.round(view.clientWidth)), height = 240, left = 40, right = 12, top = 10, bottom = 28;
    var step = chart.waves.length > 1 ? (width - left - right) / (chart.waves.length - 1) : 0;
    var x = function (i) { return left + i * step; };
    var y = function (v) { return top + (1 - v / 100) * (height - top - bottom); };
    var svg = el("svg:svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img", "aria-labelledby": "chart-title" });
    [0, 25, 50, 75, 100].forEach(function (v) {
      svg.appendChild(el("svg:line", { class: "grid", x1: left, x2: width - right, y1: y(v), y2: y(v) }));
      svg.appendChild(el("svg:text", { class: "axis", x: 0, y: y(v) + 4, text: v + "%" }));
    });
    var last = chart.waves.length - 1;
    var every = Math.max(1, Math.ceil(chart.waves.length / Math.max(2, Math.floor((width - left - right) / 72))));
    chart.waves.forEach(function (wave, i) {
      if ((i % every === 0 && last - i >= every) || i === last) {
        var anchor = i === 0 ? "start" : i === last ? "end" : "middle";
        svg.appendChild(el("svg:text", { class: "axis", x: x(i), y: height - 6, "text-anchor": anchor, text: wave }));
      }
    });
    chart.series.forEach(function (s, k) {
      var color = "var(--side-" + (k % 4) + ")";
      var points = s.points.map(function (p, i) { return p === null ? null : x(i) + "," + y(p); }).filter(Boolean);
      var line = el("svg:polyline", { points: points.join(" ") });
      line.style.stroke = color;
      svg.appendChild(line);
      s.points.forEach(function (p, i) {
        if (p === null) return;
        var dot = el("svg:circle", { cx: x(i), cy: y(p), r: 3.5 });
        dot.style.fill = color;
        svg.appendChild(dot);
      });
    });
    var firstLast = chart.groups.map(function (g) { return g.items; }).filter(function (items) { return items.length >= 2; });
    var samples = firstLast.length ? firstLast[0].map(figure) : [];
    var low = chart.groups.some(function (g) { return g.items.some(function (i) { return i.metrics.low_confidence; }); });
    var note = samples.length
      ? "Sample: n = " + samples[0].sample + " in " + chart.waves[0] + ", n = " + samples[samples.length - 1].sample +
        " in " + chart.waves[chart.waves.length - 1] + "; each wave computed on its own."
      : "Each wave computed on its own.";
    return [legendOf(chart.series.map(function (s) { return s.label; })), el("div", { class: "trend" }, [svg]),
      el("p", { class: "note" }, [document.createTextNode(note), lowFlag(low)])];
  }

  // -- the table of the numbers (the chart's text alternative) -----------------------------------------
  function table(head, body) {
    var thead = el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { scope: "col", text: h }); }))]);
    var rows = body.map(function (cells) {
      return el("tr", {}, cells.map(function (c, i) {
        return i === 0 ? el("th", { scope: "row", text: c }) : el("td", { class: "num", text: c });
      }));
    });
    var wrap = el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Table of the numbers" },
      [el("table", {}, [thead, el("tbody", {}, rows)])]);
    return el("details", {}, [el("summary", { text: "Show the numbers as a table" }), wrap]);
  }

  function cell(f) {
    return f ? valueText(f, true) + (f.low ? " (low sample)" : "") : "";
  }

  function tableOf(chart) {
    if (chart.shape === "profile") {
      return table(["Answer", "Share", "Index", "Sample", "Confidence"], chart.rows.map(function (r) {
        return [r.label, pct(r.share), r.index === null ? "n/a" : String(Math.round(r.index)), String(r.sample), r.low ? "Low sample" : "OK"];
      }));
    }
    if (chart.shape === "trend") {
      return table(["Answer"].concat(chart.waves), chart.series.map(function (s) {
        return [s.label].concat(s.points.map(pct));
      }));
    }
    return table(["Answer"].concat(chart.sides), chart.rows.map(function (r) {
      return [r.label].concat(chart.sides.map(function (_, i) { return cell(r.values[i]); }));
    }));
  }

  var drawnWidth = 0;
  window.addEventListener("resize", function () {
    // A trend is drawn to the view's width: redraw it when the host gives the view another width.
    var figureShown = view.querySelector("figure[data-shape=trend]");
    if (figureShown && Math.abs(view.clientWidth - drawnWidth) > 1) render();
  });

  var DRAW = { profile: drawProfile, comparison: drawComparison, breakdown: drawBreakdown, trend: drawTrend };
  var state = { args: null, result: null };

  function render() {
    var result = state.result;
    if (!result) return;
    var text = (result.content || []).filter(function (c) { return c.type === "text"; }).map(function (c) { return c.text; }).join("\n");
    var chart = result.isError ? null : chartOf(result.structuredContent, state.args);
    view.textContent = "";
    drawnWidth = view.clientWidth;
    if (!chart) {
      view.appendChild(el("p", { class: result.isError ? "error" : "plain", text: text }));
      return;
    }
    var caption = el("figcaption", {}, [
      el("h1", { id: "chart-title", text: chart.title }),
      chart.subtitle || chart.base ? el("p", { class: "meta", text: [chart.subtitle, chart.base ? "Base: n = " + chart.base + " respondents" : ""].filter(Boolean).join(" · ") }) : null,
    ]);
    view.appendChild(el("figure", { "data-shape": chart.shape }, [caption].concat(DRAW[chart.shape](chart), [tableOf(chart)])));
  }

  // -- the conversation with the host (MCP Apps, JSON-RPC 2.0 over postMessage) -----------------------
  var nextId = 1;
  var pending = {};

  function send(message) {
    window.parent.postMessage(message, "*");
  }

  function request(method, params) {
    var id = nextId++;
    send({ jsonrpc: "2.0", id: id, method: method, params: params });
    return new Promise(function (resolve, reject) { pending[id] = { resolve: resolve, reject: reject }; });
  }

  function applyContext(context) {
    if (!context) return;
    if (context.theme) document.documentElement.setAttribute("data-theme", context.theme);
    var variables = (context.styles || {}).variables || {};
    Object.keys(variables).forEach(function (name) {
      if (name.indexOf("--") === 0 && variables[name]) document.documentElement.style.setProperty(name, variables[name]);
    });
  }

  var HANDLERS = {
    "ui/notifications/tool-input": function (params) { state.args = params.arguments || {}; render(); },
    "ui/notifications/tool-result": function (params) { state.result = params; render(); },
    "ui/notifications/host-context-changed": applyContext,
    "ui/notifications/tool-cancelled": function () { view.textContent = "The question was cancelled."; },
  };

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (event.source !== window.parent || !message || message.jsonrpc !== "2.0") return;
    if (message.method === undefined && pending[message.id]) {
      var waiting = pending[message.id];
      delete pending[message.id];
      if (message.error) waiting.reject(message.error);
      else waiting.resolve(message.result || {});
    } else if (HANDLERS[message.method]) {
      HANDLERS[message.method](message.params || {});
    } else if (message.id !== undefined && message.method) {
      var known = message.method === "ui/resource-teardown" || message.method === "ping";
      send(known ? { jsonrpc: "2.0", id: message.id, result: {} }
        : { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found: " + message.method } });
    }
  });

  // After the handshake, the view tells the host its height whenever it changes.
  var lastHeight = 0;
  function followSize() {
    new ResizeObserver(function () {
      var height = Math.ceil(document.documentElement.scrollHeight);
      if (height === lastHeight) return;
      lastHeight = height;
      send({ jsonrpc: "2.0", method: "ui/notifications/size-changed", params: { width: document.documentElement.scrollWidth, height: height } });
    }).observe(document.body);
  }

  request("ui/initialize", {
    appInfo: { name: "spark-chart", title: "Spark chart", version: "1.0.0" },
    appCapabilities: { availableDisplayModes: ["inline"] },
    protocolVersion: PROTOCOL_VERSION,
  }).then(function (result) {
    applyContext(result.hostContext);
    send({ jsonrpc: "2.0", method: "ui/notifications/initialized", params: {} });
    followSize();
  }, function (error) {
    view.textContent = "The host did not start the chart: " + (error && error.message);
  });
})();
