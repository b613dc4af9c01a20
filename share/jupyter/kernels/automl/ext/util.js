/*
 * util.js — what the renderers share: DOM building that never parses markup
 * from the kernel (text goes in as text), number and time formatting, the
 * sortable table, and a small SVG line chart with axes, nice ticks, a legend,
 * hover values and an optional marker.  Plain ES5 (notebook 6 runs requirejs,
 * no build step).
 */
define([], function () {
    'use strict';

    var SVG_NS = 'http://www.w3.org/2000/svg';
    // Okabe-Ito, the palette the kernel's PNG charts use (engine/plot/plot_canvas.c).
    var PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000',
                   '#F0E442'];

    /* el('div', {class: 'x', title: 't'}, [child, 'text', ...]) */
    function el(tag, attrs, children) {
        var e = document.createElement(tag);
        setAttrs(e, attrs);
        append(e, children);
        return e;
    }

    function svg(tag, attrs, children) {
        var e = document.createElementNS(SVG_NS, tag);
        setAttrs(e, attrs);
        append(e, children);
        return e;
    }

    function setAttrs(e, attrs) {
        if (!attrs)
            return;
        for (var k in attrs) {
            if (!attrs.hasOwnProperty(k) || attrs[k] === undefined || attrs[k] === null)
                continue;
            if (k === 'text')
                e.textContent = String(attrs[k]);
            else
                e.setAttribute(k, String(attrs[k]));
        }
    }

    function append(e, children) {
        if (children === undefined || children === null)
            return;
        if (!(children instanceof Array))
            children = [children];
        for (var i = 0; i < children.length; i++) {
            var c = children[i];
            if (c === undefined || c === null || c === false)
                continue;
            e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
        }
    }

    function clear(e) {
        while (e.firstChild)
            e.removeChild(e.firstChild);
    }

    function isNum(v) {
        return typeof v === 'number' && isFinite(v);
    }

    /* A number with `digits` decimals, or "—" when undefined (null, NaN). */
    function fmt(v, digits) {
        if (!isNum(v))
            return '\u2014';
        return v.toFixed(digits === undefined ? 4 : digits);
    }

    function fmtCount(n) {
        if (!isNum(n))
            return '\u2014';
        var s = String(Math.round(n)), out = '';
        while (s.length > 3) {
            out = ',' + s.slice(-3) + out;
            s = s.slice(0, -3);
        }
        return s + out;
    }

    function fmtSeconds(s) {
        if (!isNum(s))
            return '\u2014';
        if (s < 60)
            return s.toFixed(1) + ' s';
        var m = Math.floor(s / 60), r = Math.floor(s - 60 * m);
        if (m < 60)
            return m + 'm ' + (r < 10 ? '0' : '') + r + 's';
        return Math.floor(m / 60) + 'h ' + (m % 60 < 10 ? '0' : '') + (m % 60) + 'm';
    }

    /* The kernel's JSON: an object, or (from some front ends) its text. */
    function parse(value) {
        if (typeof value === 'string') {
            try {
                return JSON.parse(value);
            } catch (e) {
                return null;
            }
        }
        return value;
    }

    /* ---- sortable table ----
     * columns: [{label, key | get(row), numeric, format(v, row), title, cls}]
     * rows: array of anything get()/key can read.
     * Clicking a header sorts by it (ascending first for text, descending
     * first for numbers), clicking again reverses; undefined values go last.
     * opts.sortBy / opts.descending: the initial order (none: as given).
     * opts.rowClass(row): a class for a row. */
    function sortableTable(columns, rows, opts) {
        opts = opts || {};
        var table = el('table', {'class': 'automl-table automl-sortable' +
                                          (opts.cls ? ' ' + opts.cls : '')});
        var thead = el('thead'), tbody = el('tbody'), tr = el('tr');
        var state = {col: -1, desc: false};
        thead.appendChild(tr);
        table.appendChild(thead);
        table.appendChild(tbody);

        function get(col, row) {
            return col.get ? col.get(row) : row[col.key];
        }

        function cmp(a, b, numeric) {
            var ua = a === null || a === undefined || (numeric && !isNum(a));
            var ub = b === null || b === undefined || (numeric && !isNum(b));
            if (ua || ub)
                return ua && ub ? 0 : (ua ? 1 : -1);
            if (numeric)
                return a - b;
            return String(a).localeCompare(String(b), undefined, {numeric: true,
                                                                   sensitivity: 'base'});
        }

        function render() {
            var order = rows.map(function (r, i) { return i; });
            if (state.col >= 0) {
                var col = columns[state.col];
                order.sort(function (i, j) {
                    var a = get(col, rows[i]), b = get(col, rows[j]);
                    var ua = a === null || a === undefined || (col.numeric && !isNum(a));
                    var ub = b === null || b === undefined || (col.numeric && !isNum(b));
                    if (ua || ub)  // undefined values last in either direction
                        return ua && ub ? i - j : (ua ? 1 : -1);
                    var c = cmp(a, b, col.numeric);
                    return (state.desc ? -c : c) || i - j;
                });
            }
            clear(tbody);
            order.forEach(function (i) {
                var row = rows[i], r = el('tr', opts.rowClass ? {'class': opts.rowClass(row)}
                                                              : null);
                columns.forEach(function (col) {
                    var v = get(col, row);
                    var text = col.format ? col.format(v, row)
                                          : (v === null || v === undefined ? '\u2014' : v);
                    var td = el('td', {'class': (col.numeric ? 'automl-num' : 'automl-text') +
                                                (col.cls ? ' ' + col.cls : ''),
                                       title: col.cellTitle ? col.cellTitle(v, row) : null});
                    append(td, text);
                    r.appendChild(td);
                });
                tbody.appendChild(r);
            });
            headers.forEach(function (th, k) {
                var sorted = k === state.col;
                th.setAttribute('aria-sort', sorted ? (state.desc ? 'descending' : 'ascending')
                                                    : 'none');
                th.className = (columns[k].numeric ? 'automl-num' : 'automl-text') +
                               (sorted ? ' automl-sorted' : '');
                th.lastChild.textContent = sorted ? (state.desc ? ' \u25BC' : ' \u25B2') : '';
            });
        }

        var headers = columns.map(function (col, k) {
            var th = el('th', {title: col.title || ('Sort by ' + col.label), tabindex: 0,
                               scope: 'col'},
                        [col.label, el('span', {'class': 'automl-sort-mark'})]);
            function sort() {
                if (state.col === k)
                    state.desc = !state.desc;
                else {
                    state.col = k;
                    state.desc = !!col.numeric;
                }
                render();
            }
            th.addEventListener('click', sort);
            th.addEventListener('keydown', function (ev) {
                if (ev.key === 'Enter' || ev.key === ' ') {
                    ev.preventDefault();
                    ev.stopPropagation();
                    sort();
                }
            });
            tr.appendChild(th);
            return th;
        });
        if (opts.sortBy !== undefined) {
            state.col = opts.sortBy;
            state.desc = !!opts.descending;
        }
        render();
        table.automlSort = function (k, desc) {
            state.col = k;
            state.desc = !!desc;
            render();
        };
        return table;
    }

    /* ---- SVG line chart ----
     * opts: {width, height, title, xTitle, yTitle, xDomain, yDomain, diagonal,
     *        series: [{name, points: [{x, y, ...}], step, color, dots, r, dash, line}],
     *        hover(point, series) -> text, cls}
     * Returns {element, setMarker(x, y, text) | clear with null, x(v), y(v)}. */
    function niceTicks(lo, hi, n) {
        if (!isNum(lo) || !isNum(hi))
            return [];
        if (hi === lo) {
            hi = lo + 1;
        }
        var span = hi - lo, step = Math.pow(10, Math.floor(Math.log(span / n) / Math.LN10));
        var err = span / n / step;
        if (err >= 7.5)
            step *= 10;
        else if (err >= 3.5)
            step *= 5;
        else if (err >= 1.5)
            step *= 2;
        var ticks = [], t = Math.ceil(lo / step - 1e-9) * step;
        for (; t <= hi + step * 1e-9; t += step)
            ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
        return ticks;
    }

    function tickText(v, ticks) {
        var step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
        var d = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log(step) / Math.LN10 - 1e-9));
        return v.toFixed(d);
    }

    function lineChart(opts) {
        var W = opts.width || 420, H = opts.height || 260;
        var M = {l: 56, r: 14, t: opts.title ? 28 : 12, b: opts.xTitle ? 42 : 26};
        var pw = W - M.l - M.r, ph = H - M.t - M.b;
        var all = [];
        opts.series.forEach(function (s) {
            s.points.forEach(function (p) {
                if (isNum(p.x) && isNum(p.y))
                    all.push(p);
            });
        });
        function extent(key, given) {
            if (given)
                return given.slice();
            var lo = Infinity, hi = -Infinity;
            all.forEach(function (p) {
                lo = Math.min(lo, p[key]);
                hi = Math.max(hi, p[key]);
            });
            if (!isFinite(lo))
                return [0, 1];
            if (lo === hi) {
                var pad = Math.abs(lo) * 0.01 || 0.01;
                lo -= pad;
                hi += pad;
            } else {
                var m = (hi - lo) * 0.06;
                lo -= m;
                hi += m;
            }
            return [lo, hi];
        }
        var xd = extent('x', opts.xDomain), yd = extent('y', opts.yDomain);
        var xt = niceTicks(xd[0], xd[1], Math.max(2, Math.floor(pw / 70)));
        var yt = niceTicks(yd[0], yd[1], Math.max(3, Math.floor(ph / 32)));
        function X(v) { return M.l + (v - xd[0]) / (xd[1] - xd[0]) * pw; }
        function Y(v) { return M.t + ph - (v - yd[0]) / (yd[1] - yd[0]) * ph; }

        var root = svg('svg', {'class': 'automl-chart' + (opts.cls ? ' ' + opts.cls : ''),
                               viewBox: '0 0 ' + W + ' ' + H, width: W, height: H,
                               role: 'img', 'aria-label': opts.title || 'chart'});
        if (opts.title)
            root.appendChild(svg('text', {x: M.l + pw / 2, y: 17, 'class': 'automl-chart-title',
                                          'text-anchor': 'middle', text: opts.title}));
        var grid = svg('g', {'class': 'automl-grid'});
        yt.forEach(function (t) {
            if (t < yd[0] || t > yd[1])
                return;
            grid.appendChild(svg('line', {x1: M.l, x2: M.l + pw, y1: Y(t), y2: Y(t)}));
            root.appendChild(svg('text', {x: M.l - 6, y: Y(t) + 4, 'text-anchor': 'end',
                                          'class': 'automl-tick', text: tickText(t, yt)}));
        });
        xt.forEach(function (t) {
            if (t < xd[0] || t > xd[1])
                return;
            grid.appendChild(svg('line', {x1: X(t), x2: X(t), y1: M.t, y2: M.t + ph}));
            root.appendChild(svg('text', {x: X(t), y: M.t + ph + 15, 'text-anchor': 'middle',
                                          'class': 'automl-tick', text: tickText(t, xt)}));
        });
        root.insertBefore(grid, root.firstChild);
        root.appendChild(svg('rect', {x: M.l, y: M.t, width: pw, height: ph,
                                      'class': 'automl-frame'}));
        if (opts.xTitle)
            root.appendChild(svg('text', {x: M.l + pw / 2, y: H - 6, 'text-anchor': 'middle',
                                          'class': 'automl-axis-title', text: opts.xTitle}));
        if (opts.yTitle)
            root.appendChild(svg('text', {x: 13, y: M.t + ph / 2, 'text-anchor': 'middle',
                                          transform: 'rotate(-90 13 ' + (M.t + ph / 2) + ')',
                                          'class': 'automl-axis-title', text: opts.yTitle}));
        if (opts.diagonal)
            root.appendChild(svg('line', {x1: X(Math.max(xd[0], yd[0])),
                                          y1: Y(Math.max(xd[0], yd[0])),
                                          x2: X(Math.min(xd[1], yd[1])),
                                          y2: Y(Math.min(xd[1], yd[1])),
                                          'class': 'automl-diagonal'}));
        var plot = svg('g', {'clip-path': null});
        root.appendChild(plot);
        opts.series.forEach(function (s, si) {
            var color = s.color || PALETTE[si % PALETTE.length], d = '', prev = null;
            s.points.forEach(function (p) {
                if (!isNum(p.x) || !isNum(p.y)) {
                    prev = null;
                    return;
                }
                if (prev === null)
                    d += 'M' + X(p.x).toFixed(1) + ',' + Y(p.y).toFixed(1);
                else if (s.step)
                    d += 'H' + X(p.x).toFixed(1) + 'V' + Y(p.y).toFixed(1);
                else
                    d += 'L' + X(p.x).toFixed(1) + ',' + Y(p.y).toFixed(1);
                prev = p;
            });
            if (d && s.line !== false)
                plot.appendChild(svg('path', {d: d, stroke: color, 'class': 'automl-line',
                                              'stroke-dasharray': s.dash || null}));
            if (s.dots)
                s.points.forEach(function (p) {
                    if (isNum(p.x) && isNum(p.y))
                        plot.appendChild(svg('circle', {cx: X(p.x), cy: Y(p.y), r: s.r || 3,
                                                        fill: color, 'class': 'automl-dot'}));
                });
        });
        if (opts.series.length > 1 || opts.legend) {
            // where the curves are not: opts.legendAt 'top-right' (default),
            // 'bottom-right', 'bottom-left' or 'top-left'
            var at = opts.legendAt || 'top-right', named = opts.series.filter(function (s) {
                return s.name;
            });
            var lw = 0;
            named.forEach(function (s) { lw = Math.max(lw, 6.2 * s.name.length); });
            lw += 34;
            var lh = 15 * named.length + 6;
            var lx = at.indexOf('left') >= 0 ? M.l + 6 : M.l + pw - lw - 6;
            var ly0 = at.indexOf('bottom') >= 0 ? M.t + ph - lh - 6 : M.t + 6;
            var lg = svg('g', {'class': 'automl-legend'}, svg('rect', {
                x: lx, y: ly0, width: lw, height: lh, rx: 3, 'class': 'automl-legend-bg'}));
            var ly = ly0 + 11;
            opts.series.forEach(function (s, si) {
                if (!s.name)
                    return;
                var color = s.color || PALETTE[si % PALETTE.length];
                lg.appendChild(svg('line', {x1: lx + 6, x2: lx + 24, y1: ly - 4, y2: ly - 4,
                                            stroke: color, 'class': 'automl-line'}));
                lg.appendChild(svg('text', {x: lx + 29, y: ly, text: s.name}));
                ly += 15;
            });
            root.appendChild(lg);
        }

        // the operating point (set by the caller) and the hover point
        var marker = svg('g', {'class': 'automl-marker', visibility: 'hidden'}, [
            svg('circle', {r: 5}), svg('text', {x: 8, y: -8})]);
        var hover = svg('g', {'class': 'automl-hover', visibility: 'hidden'}, [
            svg('line', {'class': 'automl-hover-rule'}), svg('circle', {r: 4}),
            svg('rect', {'class': 'automl-tip-bg', rx: 3}), svg('text', {'class': 'automl-tip'})]);
        root.appendChild(marker);
        root.appendChild(hover);

        function place(g, x, y) {
            g.setAttribute('transform', 'translate(' + X(x).toFixed(1) + ',' +
                           Y(y).toFixed(1) + ')');
            g.setAttribute('visibility', 'visible');
        }

        function setMarker(x, y, text) {
            if (!isNum(x) || !isNum(y)) {
                marker.setAttribute('visibility', 'hidden');
                return;
            }
            place(marker, x, y);
            var t = marker.lastChild;
            t.textContent = text || '';
            // keep the label inside the plot
            var right = X(x) > M.l + pw * 0.6;
            t.setAttribute('text-anchor', right ? 'end' : 'start');
            t.setAttribute('x', right ? -8 : 8);
            t.setAttribute('y', Y(y) < M.t + 20 ? 16 : -8);
        }

        var overlay = svg('rect', {x: M.l, y: M.t, width: pw, height: ph,
                                   'class': 'automl-overlay'});
        root.appendChild(overlay);
        function toLocal(ev) {
            var m = root.getScreenCTM();
            if (!m)
                return null;
            var pt = root.createSVGPoint();
            pt.x = ev.clientX;
            pt.y = ev.clientY;
            return pt.matrixTransform(m.inverse());
        }
        function onMove(ev) {
            var q = toLocal(ev);
            if (!q)
                return;
            var best = null, bd = Infinity, bs = null;
            opts.series.forEach(function (s) {
                s.points.forEach(function (p) {
                    if (!isNum(p.x) || !isNum(p.y))
                        return;
                    var dx = X(p.x) - q.x, dy = Y(p.y) - q.y, dd = dx * dx + dy * dy;
                    if (dd < bd) {
                        bd = dd;
                        best = p;
                        bs = s;
                    }
                });
            });
            if (!best) {
                hover.setAttribute('visibility', 'hidden');
                return;
            }
            place(hover, best.x, best.y);
            var text = opts.hover ? opts.hover(best, bs) : fmt(best.x, 3) + ', ' + fmt(best.y, 3);
            var tip = hover.lastChild, bg = tip.previousSibling, rule = hover.firstChild;
            rule.setAttribute('x1', 0);
            rule.setAttribute('x2', 0);
            rule.setAttribute('y1', 0);
            rule.setAttribute('y2', M.t + ph - Y(best.y));
            tip.textContent = text;
            var w = 6.4 * text.length;
            try {
                w = tip.getComputedTextLength() || w;
            } catch (e) { /* not laid out: the estimate */ }
            // the tip beside the point, kept inside the chart
            var px = X(best.x), below = Y(best.y) < M.t + 30;
            var left = px + 9 + w + 4 > W ? Math.max(2, W - w - 6) : px + 9;
            if (px - 9 - w > M.l && px + 9 + w + 4 > W)
                left = px - 9 - w;
            tip.setAttribute('text-anchor', 'start');
            tip.setAttribute('x', left - px);
            tip.setAttribute('y', below ? 20 : -10);
            bg.setAttribute('x', left - px - 4);
            bg.setAttribute('y', below ? 6 : -24);
            bg.setAttribute('width', w + 8);
            bg.setAttribute('height', 19);
            root.setAttribute('data-hover', text);
        }
        overlay.addEventListener('mousemove', onMove);
        overlay.addEventListener('mouseleave', function () {
            hover.setAttribute('visibility', 'hidden');
            root.removeAttribute('data-hover');
        });
        return {element: root, setMarker: setMarker, x: X, y: Y};
    }

    return {
        el: el, svg: svg, append: append, clear: clear, isNum: isNum, fmt: fmt,
        fmtCount: fmtCount, fmtSeconds: fmtSeconds, parse: parse, sortableTable: sortableTable,
        lineChart: lineChart, niceTicks: niceTicks, PALETTE: PALETTE
    };
});
