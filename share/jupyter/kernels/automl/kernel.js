/*
 * kernel.js — the AutoML notebook extension for the classic Notebook (6.x).
 *
 * Notebook 6 loads kernel.js (and kernel.css) from the kernelspec directory
 * for a notebook running this kernel, as /kernelspecs/automl/kernel.js, and
 * calls onload().  The modules beside it, in ext/, are found through the
 * requirejs path "automl-ext" set from this file's own URL.  Nothing else
 * needs installing: `make install` copies the kernelspec with these files.
 *
 *  - the CodeMirror mode "automl" (ext/mode.js), made the mode of every code
 *    cell; the kernel's comm "automl.session" reports the magic names;
 *  - output renderers for application/vnd.automl.{progress,frame,leaderboard,
 *    evaluation}+json, put before text/html and image/png; the kernel still
 *    sends those fallbacks, which nbconvert, JupyterLab and VS Code show and
 *    which this extension shows whenever a renderer fails;
 *  - outputs already on the page when the extension arrives (a saved
 *    notebook that was just opened) are drawn again with the renderers.
 */
define(['module', 'jquery', 'base/js/namespace', 'base/js/events', 'codemirror/lib/codemirror',
        'notebook/js/outputarea'],
function (module, $, Jupyter, events, CodeMirror, outputarea) {
    'use strict';

    var base = String(module.uri).split('?')[0].replace(/[^\/]*$/, '');
    requirejs.config({paths: {'automl-ext': base + 'ext'}});

    var MIME = 'application/vnd.automl.';
    var OutputArea = outputarea.OutputArea;
    var loaded = false, patched = false;

    function isOurs(data) {
        if (!data)
            return false;
        for (var k in data)
            if (data.hasOwnProperty(k) && OutputArea.append_map[k] && k.indexOf(MIME) === 0)
                return true;
        return false;
    }

    function register(kind, render) {
        var mime = MIME + kind + '+json';
        if (OutputArea.append_map[mime])
            return;
        OutputArea.prototype.register_mime_type(mime, function (value, md, element) {
            var node = render(value);  // throws: the notebook shows the next form (HTML)
            var sub = this.create_output_subarea(md, 'output_automl output_automl_' + kind, mime);
            if (this.keyboard_manager)
                this.keyboard_manager.register_events(sub);
            sub.append(node);
            element.append(sub);
            return sub;
        }, {safe: true, index: 0});
    }

    /* Draw again the outputs that were on the page before the renderers were
     * registered (the notebook renders saved outputs before it loads us). */
    function rerenderSaved() {
        Jupyter.notebook.get_cells().forEach(function (cell) {
            if (cell.cell_type !== 'code' || !cell.output_area)
                return;
            var oa = cell.output_area, outs = oa.outputs || [];
            if (!outs.some(function (o) { return isOurs(o.data); }))
                return;
            var kids = oa.element.children('.output_area');
            if (kids.length === outs.length) {
                outs.forEach(function (o, i) {
                    if (!isOurs(o.data))
                        return;
                    var old = kids.eq(i), fresh = oa.create_output_area();
                    fresh.find('div.prompt').replaceWith(old.children('div.prompt').clone());
                    if (oa.append_mime_type(o, fresh))
                        old.replaceWith(fresh);
                });
            } else {
                // streams were merged: draw the whole area again, keeping its trust
                var trusted = oa.trusted, json = oa.toJSON();
                oa.clear_output(false, true);
                oa.trusted = trusted;
                oa.fromJSON(json);
            }
        });
    }

    function isAutoml() {
        var li = Jupyter.notebook.metadata.language_info || {};
        var ks = Jupyter.notebook.metadata.kernelspec || {};
        return li.name === 'automl' || ks.language === 'automl' || ks.name === 'automl';
    }

    /* Make "automl" the mode of every code cell (and of new ones).  A request
     * the notebook made for the mode before we defined it (from the saved
     * metadata) may fail late and fall back to 'null': that is turned back. */
    function applyMode() {
        var nb = Jupyter.notebook;
        if (!patched) {
            // the notebook object is sealed: patch its prototype, for this page only
            var proto = Object.getPrototypeOf(nb), dispatch = proto._dispatch_mode;
            proto._dispatch_mode = function (spec, newmode) {
                if (spec === 'null' && isAutoml() && CodeMirror.modes.automl)
                    spec = newmode = 'automl';
                return dispatch.call(this, spec, newmode);
            };
            patched = true;
        }
        nb.codemirror_mode = null;
        nb.set_codemirror_mode('automl');
    }

    function refreshModes() {
        Jupyter.notebook.get_cells().forEach(function (cell) {
            if (cell.cell_type === 'code' && cell.code_mirror)
                cell.code_mirror.setOption('mode', cell.code_mirror.getOption('mode'));
        });
    }

    /* Ask the kernel for its magic names (comm "automl.session"). */
    function openComm(mode) {
        var k = Jupyter.notebook.kernel;
        if (!k || !k.comm_manager || !k.is_connected())
            return;
        try {
            var comm = k.comm_manager.new_comm('automl.session', {});
            comm.on_msg(function (msg) {
                var d = msg.content && msg.content.data;
                if (d && d.magics instanceof Array) {
                    mode.setMagics(d.magics);
                    refreshModes();
                    $('body').attr('data-automl-magics', d.magics.length);
                }
            });
        } catch (e) {
            console.warn('automl: comm automl.session not opened', e);
        }
    }

    function onload() {
        if (loaded)
            return;
        loaded = true;
        $('body').addClass('automl-loading');
        requirejs(['automl-ext/mode', 'automl-ext/progress', 'automl-ext/tables',
                   'automl-ext/evaluation'],
        function (mode, progress, tables, evaluation) {
            // the mode is defined: the notebook's own request for it must not fail
            define('codemirror/mode/automl/automl', [], function () { return mode; });
            register('progress', progress.render);
            register('frame', tables.renderFrame);
            register('leaderboard', tables.renderLeaderboard);
            register('evaluation', evaluation.render);
            rerenderSaved();
            applyMode();
            openComm(mode);
            events.on('kernel_ready.Kernel', function () {
                applyMode();
                openComm(mode);
            });
            $('body').removeClass('automl-loading').addClass('automl-ext-loaded');
            console.info('automl: notebook extension loaded from ' + base);
        }, function (err) {
            $('body').removeClass('automl-loading');
            console.warn('automl: the notebook extension did not load', err);
        });
    }

    return {onload: onload};
});
