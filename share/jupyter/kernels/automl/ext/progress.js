/*
 * progress.js — the renderer of application/vnd.automl.progress+json
 * (magics/mg_train_view.c, mg_progress_bundle): the live training dashboard.
 *
 *   {"model", "elapsed", "budget", "trials", "failed", "metric", "phase",
 *    "best"?, "curve"?, "top": [{"model", "params", "score"}, ...]}
 *
 * The kernel sends one display and replaces it with update_display_data; the
 * notebook calls the renderer again for every update, so the dashboard is
 * drawn from scratch each time.  The best-so-far chart needs the history the
 * document does not carry: it is kept here, per model name, from the updates
 * seen (a new run of the same name starts again when elapsed goes back).
 * The kernel also sends "curve": [[seconds, best], ...] at each improvement
 * (magics/mg_train.c), which is drawn when present — a saved notebook's
 * dashboard then has its whole chart.
 *
 * The Stop button interrupts the kernel (Jupyter.notebook.kernel.interrupt());
 * CSS shows it only while its cell runs, so a saved dashboard has none.
 */
define(['automl-ext/util'], function (u) {
    'use strict';

    var histories = {};
    var stopped = {};  // model name -> Stop was pressed during its run (this page)

    function history(doc) {
        var key = String(doc.model);
        var h = histories[key];
        if (!h || (u.isNum(doc.elapsed) && doc.elapsed + 1e-9 < h.last))
            h = histories[key] = {points: [], last: -Infinity};
        if (u.isNum(doc.elapsed)) {
            h.last = doc.elapsed;
            if (u.isNum(doc.best)) {
                var p = h.points[h.points.length - 1];
                if (p && p.y === doc.best) {
                    // same best: extend the flat step only at the end (see below)
                    h.tail = {x: doc.elapsed, y: doc.best};
                } else {
                    h.points.push({x: doc.elapsed, y: doc.best, trials: doc.trials});
                    h.tail = null;
                }
            }
        }
        var pts = h.points.slice();
        if (h.tail)
            pts.push(h.tail);
        return pts;
    }

    function interrupt(button, model) {
        var J = window.Jupyter;
        if (!J || !J.notebook || !J.notebook.kernel)
            return;
        stopped[model] = true;
        button.disabled = true;
        button.textContent = 'Stopping\u2026';
        document.body.setAttribute('data-automl-stop', String(Date.now()));
        J.notebook.kernel.interrupt();
    }

    function render(value) {
        var doc = u.parse(value) || {};
        var el = u.el;
        var done = doc.phase === 'done';
        var budget = u.isNum(doc.budget) ? doc.budget : 0;
        var elapsed = u.isNum(doc.elapsed) ? doc.elapsed : 0;
        var frac = budget > 0 ? Math.min(1, elapsed / budget) : 0;
        if (done)
            frac = 1;
        var key = String(doc.model);
        if (!done && u.isNum(doc.elapsed) && doc.elapsed < 1 && !doc.trials)
            delete stopped[key];  // a new run of the same name
        var halted = done && stopped[key];
        var points;
        if (doc.curve instanceof Array && doc.curve.length) {
            points = doc.curve.map(function (c) { return {x: c[0], y: c[1]}; });
            var lastp = points[points.length - 1];
            if (u.isNum(doc.elapsed) && doc.elapsed > lastp.x)
                points.push({x: doc.elapsed, y: lastp.y});  // the best holds until now
        } else
            points = history(doc);

        var root = el('div', {'class': 'automl-ext automl-dashboard' +
                                       (done ? ' automl-done' : ' automl-live') +
                                       (halted ? ' automl-stopped' : ''),
                              'data-model': doc.model});
        var stop = el('button', {'class': 'btn btn-default btn-xs automl-stop', type: 'button',
                                 title: 'Interrupt the kernel: the search stops and keeps the ' +
                                        'best model so far'},
                      [el('i', {'class': 'fa fa-stop'}), ' Stop']);
        if (stopped[key]) {  // redrawn after a click: still stopping
            stop.disabled = true;
            stop.textContent = 'Stopping\u2026';
        }
        stop.addEventListener('click', function (ev) {
            ev.preventDefault();
            ev.stopPropagation();
            interrupt(stop, String(doc.model));
        });
        root.appendChild(el('div', {'class': 'automl-dash-head'}, [
            el('span', {'class': 'automl-dash-title'}, ['Training ', el('b', {text: doc.model})]),
            el('span', {'class': 'automl-phase',
                        text: halted ? 'stopped \u2014 the best model so far is kept'
                                     : done ? 'finished' : (doc.phase || '')}),
            done ? null : stop
        ]));

        var pct = Math.round(frac * 100);
        root.appendChild(el('div', {'class': 'automl-bar', role: 'progressbar',
                                    'aria-valuemin': 0, 'aria-valuemax': 100,
                                    'aria-valuenow': pct},
                            el('div', {'class': 'automl-bar-fill',
                                       style: 'width:' + (frac * 100).toFixed(1) + '%'})));
        var left = budget > elapsed ? budget - elapsed : 0;
        root.appendChild(el('div', {'class': 'automl-dash-stats'}, [
            stat('elapsed', u.fmtSeconds(elapsed)),
            stat('remaining', done ? '\u2014' : u.fmtSeconds(left)),
            stat('budget', u.fmtSeconds(budget)),
            stat('trials', u.fmtCount(doc.trials) +
                           (doc.failed ? ' (' + u.fmtCount(doc.failed) + ' failed)' : '')),
            stat('best ' + (doc.metric || 'score') + ' so far', u.fmt(doc.best), 'automl-best')
        ]));

        var body = el('div', {'class': 'automl-dash-body'});
        var chartBox = el('div', {'class': 'automl-dash-chart'});
        if (points.length) {
            var xs = [0, Math.max(budget, elapsed, points[points.length - 1].x) || 1];
            var chart = u.lineChart({
                width: 380, height: 210, title: 'Best ' + (doc.metric || 'score') + ' so far',
                xTitle: 'seconds', xDomain: xs,
                series: [{name: 'best', points: points, step: true, dots: points.length < 60}],
                hover: function (p) {
                    return u.fmt(p.y) + ' at ' + u.fmtSeconds(p.x);
                }
            });
            chartBox.appendChild(chart.element);
        } else {
            chartBox.appendChild(el('div', {'class': 'automl-empty',
                                            text: 'Waiting for the first trial\u2026'}));
        }
        body.appendChild(chartBox);

        var top = (doc.top || []).slice(0, 5);
        var topBox = el('div', {'class': 'automl-dash-top'},
                        top.length ? el('div', {'class': 'automl-caption',
                                                text: 'Top ' + top.length}) : null);
        if (top.length)
            topBox.appendChild(u.sortableTable([
                {label: '#', get: function (r) { return r.rank; }, numeric: true},
                {label: 'model', key: 'model'},
                {label: doc.metric || 'score', key: 'score', numeric: true,
                 format: function (v) { return u.fmt(v); }},
                {label: 'hyper-parameters', key: 'params', cls: 'automl-params',
                 cellTitle: function (v) { return v; }}
            ], top.map(function (t, i) {
                return {rank: i + 1, model: t.model, score: t.score, params: t.params};
            }), {cls: 'automl-top'}));
        body.appendChild(topBox);
        root.appendChild(body);
        return root;
    }

    function stat(label, value, cls) {
        return u.el('span', {'class': 'automl-stat' + (cls ? ' ' + cls : '')}, [
            u.el('span', {'class': 'automl-stat-label', text: label}),
            u.el('span', {'class': 'automl-stat-value', text: value})]);
    }

    return {render: render, _histories: histories};
});
