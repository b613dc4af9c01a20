/*
 * tables.js — renderers of application/vnd.automl.frame+json
 * (magics/mg_frame_view.c: %import, %show, %schema) and
 * application/vnd.automl.leaderboard+json (magics/mg_train_view.c:
 * %train, %leaderboard): tables whose columns sort on a click.
 *
 * frame:       {"name", "rows", "target"?, "summary"?, "notes"?,
 *               "columns": [{"name", "type", "missing"?, "invalid"?, "distinct"?,
 *                            "examples"?, "flags"?}], "preview": [[cell | null, ...], ...]}
 * leaderboard: {"model", "task", "metric", "stop", "trials", "seconds"?,
 *               "validation_score"?, "test_score"?, "pipeline"?, "notes"?,
 *               "leaderboard": [{"rank", "model", "params", "score", "std",
 *                                "fit_seconds", "predict_seconds"}]}
 */
define(['automl-ext/util'], function (u) {
    'use strict';

    var el = u.el;
    var FLAG_TEXT = {id: 'ID-like', constant: 'constant', high_cardinality: 'high cardinality',
                     demoted: 'type changed by a late value', forced: 'type set by you'};

    function notesList(notes) {
        if (!(notes instanceof Array) || !notes.length)
            return null;
        return el('ul', {'class': 'automl-notes'}, notes.map(function (n) {
            return el('li', {text: n});
        }));
    }

    function section(title, content, open) {
        var d = el('details', open ? {open: ''} : null, [el('summary', {text: title})]);
        d.appendChild(el('div', {'class': 'automl-scroll'}, content));
        return d;
    }

    function renderFrame(value) {
        var doc = u.parse(value) || {};
        var cols = doc.columns || [], preview = doc.preview || [];
        var root = el('div', {'class': 'automl-ext automl-frame-view', 'data-name': doc.name});
        var summary = doc.summary || (doc.name + ': ' + u.fmtCount(doc.rows) + ' rows \u00D7 ' +
                                      cols.length + ' columns' +
                                      (doc.target ? ', target ' + doc.target : ''));
        root.appendChild(el('p', {'class': 'automl-summary'}, el('b', {text: summary})));
        u.append(root, notesList(doc.notes));

        var withStats = cols.some(function (c) { return c.missing !== undefined; });
        if (withStats) {
            var rows = doc.rows;
            var schema = u.sortableTable([
                {label: 'column', key: 'name',
                 format: function (v) {
                     return v === doc.target ? [v, ' ', el('span', {'class': 'automl-tag',
                                                                    text: 'target'})] : v;
                 }},
                {label: 'type', key: 'type',
                 format: function (v) { return el('span', {'class': 'automl-type automl-type-' +
                                                                     v, text: v}); }},
                {label: 'missing', key: 'missing', numeric: true,
                 format: function (v) {
                     if (!u.isNum(v))
                         return '\u2014';
                     return rows ? (100 * v / rows).toFixed(1) + '%' : u.fmtCount(v);
                 },
                 cellTitle: function (v) { return u.isNum(v) ? u.fmtCount(v) + ' missing' : null; }},
                {label: 'distinct', key: 'distinct', numeric: true,
                 format: function (v) { return u.fmtCount(v); }},
                {label: 'examples', key: 'examples', cls: 'automl-examples',
                 format: function (v) { return v === undefined || v === null ? '' : v; }},
                {label: 'invalid', key: 'invalid', numeric: true,
                 format: function (v) { return u.isNum(v) ? u.fmtCount(v) : '\u2014'; }},
                {label: 'notes', get: function (c) {
                    return (c.flags || []).map(function (f) { return FLAG_TEXT[f] || f; })
                                          .join(', ');
                }}
            ], cols, {cls: 'automl-schema'});
            root.appendChild(section('Schema', schema, true));
        }
        if (preview.length) {
            var numeric = cols.map(function (c) {
                return c.type === 'number' || c.type === 'integer';
            });
            var pcols = [{label: '#', key: 'n', numeric: true}];
            cols.forEach(function (c, k) {
                pcols.push({
                    label: c.name, numeric: numeric[k],
                    get: numeric[k] ? function (r) {
                        var v = r.cells[k];
                        return v === null || v === undefined || v === '' ? null : Number(v);
                    } : function (r) { return r.cells[k]; },
                    format: function (v, r) {
                        var s = r.cells[k];
                        return s === null || s === undefined ? '\u2014' : String(s);
                    },
                    cls: doc.target === c.name ? 'automl-target-col' : null
                });
            });
            var prows = preview.map(function (cells, i) { return {n: i + 1, cells: cells}; });
            root.appendChild(section('First ' + u.fmtCount(preview.length) + ' rows',
                                     u.sortableTable(pcols, prows, {cls: 'automl-preview'}),
                                     true));
        }
        return root;
    }

    function renderLeaderboard(value) {
        var doc = u.parse(value) || {};
        var board = doc.leaderboard || [], metric = doc.metric || 'score';
        var root = el('div', {'class': 'automl-ext automl-leaderboard-view',
                              'data-model': doc.model});
        var p = el('p', {'class': 'automl-summary'}, [
            el('b', {text: doc.model}), ': ' + (doc.task || '') + ', ' +
            u.fmtCount(doc.trials) + (doc.trials === 1 ? ' trial' : ' trials') +
            (u.isNum(doc.seconds) ? ' in ' + u.fmtSeconds(doc.seconds) : '') +
            (doc.stop ? ' (' + doc.stop + ')' : '') + '. '
        ]);
        if (u.isNum(doc.validation_score))
            u.append(p, ['Validation ' + metric + ' ', el('b', {text: u.fmt(doc.validation_score)}),
                         '; ']);
        if (u.isNum(doc.test_score))
            u.append(p, ['held-out test ' + metric + ' ', el('b', {text: u.fmt(doc.test_score)}),
                         '.']);
        root.appendChild(p);
        var table = u.sortableTable([
            {label: 'rank', key: 'rank', numeric: true},
            {label: 'model', key: 'model'},
            {label: 'validation ' + metric, key: 'score', numeric: true,
             format: function (v, r) {
                 return u.fmt(v) + (u.isNum(r.std) && r.std > 0 ? ' \u00B1 ' + u.fmt(r.std) : '');
             }},
            {label: 'fit time', key: 'fit_seconds', numeric: true,
             format: function (v) { return u.fmtSeconds(v); }},
            {label: 'predict time', key: 'predict_seconds', numeric: true,
             format: function (v) { return u.isNum(v) ? (v * 1000).toFixed(0) + ' ms' : '\u2014'; }},
            {label: 'hyper-parameters', key: 'params', cls: 'automl-params',
             cellTitle: function (v) { return v; }}
        ], board, {cls: 'automl-board'});
        var d = section('Leaderboard (' + u.fmtCount(board.length) + ')', table, true);
        d.lastChild.className += ' automl-tall';
        root.appendChild(d);
        if (doc.pipeline)
            root.appendChild(el('p', null, [el('b', {text: 'The chosen pipeline: '}),
                                            doc.pipeline]));
        u.append(root, notesList(doc.notes));
        return root;
    }

    return {renderFrame: renderFrame, renderLeaderboard: renderLeaderboard};
});
