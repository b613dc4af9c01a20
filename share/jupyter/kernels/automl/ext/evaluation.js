/*
 * evaluation.js — the renderer of application/vnd.automl.evaluation+json
 * (version 1; the shape is documented at the top of
 * magics/mg_evaluate_view.c): an interactive evaluation.
 *
 * binary:      the threshold-free metrics; a threshold slider (over
 *              "threshold_grid", or the ROC points when there is no grid)
 *              that updates the confusion matrix, accuracy, balanced
 *              accuracy, precision, recall, F1 and the per-class table live;
 *              ROC and precision-recall curves with the values under the
 *              pointer and the slider's operating point marked.
 * multiclass:  metrics, confusion matrix, per-class table, one-vs-rest curves.
 * regression:  metrics and predicted against actual, with hover values.
 */
define(['automl-ext/util'], function (u) {
    'use strict';

    var el = u.el;

    function ratio(a, b) {
        return b > 0 ? a / b : null;
    }

    /* A threshold row {threshold, tp, fp, fn, tn, ...} with every metric. */
    function complete(r) {
        var n = r.tp + r.fp + r.fn + r.tn;
        var p = ratio(r.tp, r.tp + r.fp), rec = ratio(r.tp, r.tp + r.fn);
        var tnr = ratio(r.tn, r.tn + r.fp);
        return {
            threshold: r.threshold, tp: r.tp, fp: r.fp, fn: r.fn, tn: r.tn,
            precision: p, recall: rec,
            f1: p !== null && rec !== null && p + rec > 0 ? 2 * p * rec / (p + rec) : null,
            accuracy: ratio(r.tp + r.tn, n),
            balanced_accuracy: rec !== null && tnr !== null ? (rec + tnr) / 2 : null,
            fpr: ratio(r.fp, r.fp + r.tn)
        };
    }

    /* The rows the slider steps over, by increasing threshold. */
    function thresholdRows(doc) {
        var rows = [];
        if (doc.threshold_grid instanceof Array && doc.threshold_grid.length) {
            doc.threshold_grid.forEach(function (r) {
                if (u.isNum(r.threshold))
                    rows.push(complete(r));
            });
        } else if (doc.roc instanceof Array && doc.roc.length) {
            var c = doc.roc[0];
            for (var i = 0; i < (c.threshold || []).length; i++) {
                if (!u.isNum(c.threshold[i]))
                    continue;
                rows.push(complete({threshold: c.threshold[i], tp: c.tp[i], fp: c.fp[i],
                                    fn: c.positives - c.tp[i], tn: c.negatives - c.fp[i]}));
            }
        }
        rows.sort(function (a, b) { return a.threshold - b.threshold; });
        return rows;
    }

    function nearest(rows, t) {
        var best = 0;
        for (var i = 1; i < rows.length; i++)
            if (Math.abs(rows[i].threshold - t) < Math.abs(rows[best].threshold - t))
                best = i;
        return best;
    }

    function card(label, value, title, cls) {
        return el('div', {'class': 'automl-card' + (cls ? ' ' + cls : ''), title: title || null},
                  [el('div', {'class': 'automl-card-value', text: value}),
                   el('div', {'class': 'automl-card-label', text: label})]);
    }

    /* counts[actual][predicted] as a table with shaded cells. */
    function confusionTable(labels, counts) {
        var max = 0, total = 0;
        counts.forEach(function (r) {
            r.forEach(function (v) {
                max = Math.max(max, v);
                total += v;
            });
        });
        var head = el('tr', null, [el('th', {'class': 'automl-cm-corner',
                                             text: 'actual \\ predicted'})]);
        labels.forEach(function (l) { head.appendChild(el('th', {text: l})); });
        var body = el('tbody');
        counts.forEach(function (r, i) {
            var tr = el('tr', null, el('th', {scope: 'row', text: labels[i]}));
            r.forEach(function (v, j) {
                var a = max > 0 ? v / max : 0;
                tr.appendChild(el('td', {
                    'class': 'automl-num automl-cm-cell' + (i === j ? ' automl-cm-diag' : '') +
                             (a > 0.55 ? ' automl-cm-dark' : ''),
                    style: 'background-color: rgba(0, 114, 178, ' + (0.08 + 0.85 * a).toFixed(3) +
                           ')',
                    title: 'actual ' + labels[i] + ', predicted ' + labels[j] + ': ' +
                           u.fmtCount(v) + (total ? ' (' + (100 * v / total).toFixed(1) + '%)'
                                                  : ''),
                    'data-actual': i, 'data-predicted': j
                }, u.fmtCount(v)));
            });
            body.appendChild(tr);
        });
        return el('table', {'class': 'automl-table automl-confusion'}, [el('thead', null, head),
                                                                         body]);
    }

    function perClassTable(rows) {
        return u.sortableTable([
            {label: 'class', key: 'class'},
            {label: 'precision', key: 'precision', numeric: true, format: fmt4},
            {label: 'recall', key: 'recall', numeric: true, format: fmt4},
            {label: 'F1', key: 'f1', numeric: true, format: fmt4},
            {label: 'support', key: 'support', numeric: true, format: u.fmtCount},
            {label: 'predicted', key: 'predicted', numeric: true, format: u.fmtCount},
            {label: 'AUC ROC', key: 'auc_roc', numeric: true, format: fmt4}
        ], rows, {cls: 'automl-per-class'});
    }

    function fmt4(v) {
        return u.fmt(v, 4);
    }

    function thrText(t) {
        return u.isNum(t) ? 'score \u2265 ' + u.fmt(t, 3) : 'nothing positive';
    }

    function curvePoints(c, xs, ys) {
        var pts = [];
        for (var i = 0; i < (c[xs] || []).length; i++)
            pts.push({x: c[xs][i], y: c[ys][i], t: (c.threshold || [])[i],
                      tp: (c.tp || [])[i], fp: (c.fp || [])[i]});
        return pts;
    }

    function curves(doc, onChart) {
        var box = el('div', {'class': 'automl-charts'});
        var roc = doc.roc || [], pr = doc.pr || [];
        var charts = {};
        if (roc.length) {
            charts.roc = u.lineChart({
                width: 360, height: 300,
                title: 'ROC curve' + (roc.length === 1 && u.isNum(roc[0].auc)
                                      ? ', AUC ' + u.fmt(roc[0].auc, 3) : ''),
                xTitle: 'false positive rate',
                yTitle: 'true positive rate', xDomain: [0, 1], yDomain: [0, 1], diagonal: true,
                cls: 'automl-roc', legend: roc.length > 1, legendAt: 'bottom-right',
                series: roc.slice(0, 10).map(function (c) {
                    return {name: c['class'] + (u.isNum(c.auc) ? ' (AUC ' + u.fmt(c.auc, 3) + ')'
                                                               : ''),
                            points: curvePoints(c, 'fpr', 'tpr')};
                }),
                hover: function (p, s) {
                    return (roc.length > 1 ? s.name.split(' (')[0] + ': ' : '') + thrText(p.t) +
                           ' \u2192 FPR ' + u.fmt(p.x, 3) + ', TPR ' + u.fmt(p.y, 3);
                }
            });
            box.appendChild(charts.roc.element);
        }
        if (pr.length) {
            charts.pr = u.lineChart({
                width: 360, height: 300,
                title: 'Precision-recall' + (pr.length === 1 && u.isNum(pr[0].average_precision)
                                             ? ', AP ' + u.fmt(pr[0].average_precision, 3) : ''),
                xTitle: 'recall',
                yTitle: 'precision', xDomain: [0, 1], yDomain: [0, 1], cls: 'automl-pr',
                legend: pr.length > 1, legendAt: 'bottom-left',
                series: pr.slice(0, 10).map(function (c) {
                    return {name: c['class'] + (u.isNum(c.average_precision)
                                                ? ' (AP ' + u.fmt(c.average_precision, 3) + ')'
                                                : ''),
                            points: curvePoints(c, 'recall', 'precision')};
                }),
                hover: function (p, s) {
                    return (pr.length > 1 ? s.name.split(' (')[0] + ': ' : '') + thrText(p.t) +
                           ' \u2192 recall ' + u.fmt(p.x, 3) + ', precision ' + u.fmt(p.y, 3);
                }
            });
            box.appendChild(charts.pr.element);
        }
        if (onChart)
            onChart(charts);
        return box;
    }

    function header(doc) {
        var root = el('div', {'class': 'automl-ext automl-evaluation-view',
                              'data-model': doc.model});
        root.appendChild(el('p', {'class': 'automl-summary'}, [
            'Evaluation of ', el('b', {text: doc.model}), ' on ' + (doc.source || doc.on || '') +
            ' \u2014 ' + u.fmtCount(doc.n_rows) + ' rows, ' + (doc.task || '') +
            (doc.target ? ', target ' + doc.target : '') + '.']));
        var notes = (doc.notes || []).slice();
        var mn = doc.metric_notes || {};
        Object.keys(mn).forEach(function (k) { notes.push(k + ': ' + mn[k]); });
        if (notes.length)
            root.appendChild(el('ul', {'class': 'automl-notes'}, notes.map(function (n) {
                return el('li', {text: n});
            })));
        return root;
    }

    function renderBinary(doc, root) {
        var m = doc.metrics || {}, rows = thresholdRows(doc);
        var classes = doc.classes || ['negative', 'positive'];
        var pos = doc.positive_class || classes[1];
        root.appendChild(el('div', {'class': 'automl-cards'}, [
            card('AUC ROC', u.fmt(m.auc_roc), 'area under the ROC curve (threshold-free)'),
            card('AUC PR', u.fmt(m.auc_pr), 'area under the precision-recall curve'),
            card('log loss', u.fmt(m.log_loss), 'lower is better')
        ]));
        if (!rows.length) {
            root.appendChild(el('p', {text: 'No threshold data in this evaluation.'}));
            return;
        }
        var start = u.isNum(doc.threshold) ? doc.threshold : 0.5;
        var slider = el('input', {type: 'range', 'class': 'automl-threshold', min: 0,
                                  max: rows.length - 1, step: 1, value: nearest(rows, start),
                                  'aria-label': 'decision threshold'});
        var tval = el('b', {'class': 'automl-threshold-value'});
        var live = el('div', {'class': 'automl-cards automl-live-metrics'});
        var cmBox = el('div', {'class': 'automl-cm-box'});
        var pcBox = el('div', {'class': 'automl-per-class-box'});
        var rule = el('span', {'class': 'automl-rule'});
        var charts = {};

        function set(i) {
            slider.value = i;
            update();
        }
        var buttons = el('span', {'class': 'automl-threshold-buttons'});
        if (doc.best_f1_threshold && u.isNum(doc.best_f1_threshold.threshold)) {
            var bt = doc.best_f1_threshold.threshold;
            var b = el('button', {type: 'button', 'class': 'btn btn-default btn-xs',
                                  title: 'the threshold with the best F1',
                                  text: 'best F1 (' + u.fmt(bt, 2) + ')'});
            b.addEventListener('click', function () { set(nearest(rows, bt)); });
            buttons.appendChild(b);
        }
        var r0 = el('button', {type: 'button', 'class': 'btn btn-default btn-xs',
                               title: "the model's own threshold",
                               text: 'model (' + u.fmt(start, 2) + ')'});
        r0.addEventListener('click', function () { set(nearest(rows, start)); });
        buttons.appendChild(r0);

        function update() {
            var r = rows[+slider.value];
            tval.textContent = u.fmt(r.threshold, 2);
            rule.textContent = "'" + pos + "' when P(" + pos + ') \u2265 ' + u.fmt(r.threshold, 2);
            u.clear(live);
            u.append(live, [
                card('accuracy', u.fmt(r.accuracy), null, 'automl-m-accuracy'),
                card('balanced accuracy', u.fmt(r.balanced_accuracy), null,
                     'automl-m-balanced'),
                card('precision', u.fmt(r.precision), 'of ' + pos, 'automl-m-precision'),
                card('recall', u.fmt(r.recall), 'of ' + pos, 'automl-m-recall'),
                card('F1', u.fmt(r.f1), 'of ' + pos, 'automl-m-f1')
            ]);
            u.clear(cmBox);
            cmBox.appendChild(confusionTable(classes, [[r.tn, r.fp], [r.fn, r.tp]]));
            var pc = doc.per_class || [];
            var neg = {precision: ratio(r.tn, r.tn + r.fn), recall: ratio(r.tn, r.tn + r.fp)};
            var posm = {precision: r.precision, recall: r.recall};
            var prow = [neg, posm].map(function (mm, k) {
                var f1 = mm.precision !== null && mm.recall !== null &&
                         mm.precision + mm.recall > 0
                    ? 2 * mm.precision * mm.recall / (mm.precision + mm.recall) : null;
                return {'class': classes[k], precision: mm.precision, recall: mm.recall, f1: f1,
                        support: k ? r.tp + r.fn : r.tn + r.fp,
                        predicted: k ? r.tp + r.fp : r.tn + r.fn,
                        auc_roc: (pc[k] || {}).auc_roc};
            });
            u.clear(pcBox);
            pcBox.appendChild(perClassTable(prow));
            if (charts.roc)
                charts.roc.setMarker(r.fpr, r.recall, 't = ' + u.fmt(r.threshold, 2));
            if (charts.pr)
                charts.pr.setMarker(r.recall, r.precision, 't = ' + u.fmt(r.threshold, 2));
        }
        slider.addEventListener('input', update);
        slider.addEventListener('change', update);
        // the notebook's keyboard shortcuts must not see the slider's arrow keys
        slider.addEventListener('keydown', function (ev) { ev.stopPropagation(); });

        var panel = el('div', {'class': 'automl-threshold-panel'}, [
            el('div', {'class': 'automl-threshold-row'}, [
                el('label', null, ['Decision threshold ', tval]), slider, buttons]),
            el('div', {'class': 'automl-threshold-help'}, [
                'Predict ', rule, '. Move the slider to trade precision for recall.'])
        ]);
        root.appendChild(panel);
        root.appendChild(live);
        root.appendChild(el('div', {'class': 'automl-eval-grid'}, [
            el('div', null, [el('div', {'class': 'automl-caption', text: 'Confusion matrix'}),
                             cmBox]),
            el('div', null, [el('div', {'class': 'automl-caption', text: 'Per class'}), pcBox])
        ]));
        root.appendChild(curves(doc, function (c) { charts = c; }));
        update();
    }

    function renderMulticlass(doc, root) {
        var m = doc.metrics || {};
        root.appendChild(el('div', {'class': 'automl-cards'}, [
            card('accuracy', u.fmt(m.accuracy)),
            card('balanced accuracy', u.fmt(m.balanced_accuracy)),
            card('macro F1', u.fmt(m.f1)),
            card('log loss', u.fmt(m.log_loss), 'lower is better'),
            card('AUC ROC', u.fmt(m.auc_roc), 'macro one-vs-rest')
        ]));
        if (doc.decision)
            root.appendChild(el('p', {'class': 'automl-threshold-help',
                                      text: 'Predicts ' + doc.decision + '.'}));
        var cm = doc.confusion_matrix || {};
        root.appendChild(el('div', {'class': 'automl-eval-grid'}, [
            el('div', null, [el('div', {'class': 'automl-caption', text: 'Confusion matrix'}),
                             el('div', {'class': 'automl-scroll'},
                                confusionTable(cm.labels || doc.classes || [], cm.counts || []))]),
            el('div', null, [el('div', {'class': 'automl-caption', text: 'Per class'}),
                             perClassTable(doc.per_class || [])])
        ]));
        root.appendChild(curves(doc));
    }

    function renderRegression(doc, root) {
        var m = doc.metrics || {};
        root.appendChild(el('div', {'class': 'automl-cards'}, [
            card('RMSE', u.fmt(m.rmse), 'lower is better'),
            card('MAE', u.fmt(m.mae), 'lower is better'),
            card('R\u00B2', u.fmt(m.r2), 'higher is better'),
            card('MAPE', u.isNum(m.mape) ? (100 * m.mape).toFixed(2) + '%' : '\u2014')
        ]));
        var r = doc.residuals || {}, pts = [];
        for (var i = 0; i < (r.actual || []).length; i++)
            pts.push({x: r.actual[i], y: r.predicted[i], row: (r.row || [])[i],
                      res: (r.residual || [])[i]});
        if (pts.length) {
            var chart = u.lineChart({
                width: 420, height: 320, title: 'Predicted against actual' +
                                                 (r.sampled ? ' (a sample)' : ''),
                xTitle: 'actual', yTitle: 'predicted', diagonal: true, cls: 'automl-scatter',
                series: [{name: 'rows', points: pts, line: false, dots: true, r: 2}],
                hover: function (p) {
                    return 'row ' + p.row + ': actual ' + u.fmt(p.x, 3) + ', predicted ' +
                           u.fmt(p.y, 3);
                }
            });
            root.appendChild(el('div', {'class': 'automl-charts'}, chart.element));
        }
    }

    function render(value) {
        var doc = u.parse(value) || {};
        var root = header(doc);
        if (doc.task === 'binary')
            renderBinary(doc, root);
        else if (doc.task === 'regression')
            renderRegression(doc, root);
        else
            renderMulticlass(doc, root);
        return root;
    }

    return {render: render, _thresholdRows: thresholdRows};
});
