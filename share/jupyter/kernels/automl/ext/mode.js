/*
 * mode.js — the CodeMirror 5 mode "automl" (MIME text/x-automl) for the cell
 * language of docs/architecture.md ("The cell language"): `%magic` / `%%magic` names (known ones highlighted,
 * unknown ones marked), `key=value` and `--flag` options, quoted strings (which
 * may span lines), numbers with units (90s, 4G, 0.5), `as NAME`, `# comments`
 * at the start of a line, trailing `\` continuations, and the body of a cell
 * magic.  Token styles become classes "cm-<style>"; the extra classes
 * cm-automl-magic, cm-automl-key and cm-automl-as let CSS and tests find them.
 *
 * The known magic names start from the list below and are replaced by the
 * kernel's own list (comm "automl.session") through setMagics().
 */
define(['codemirror/lib/codemirror'], function (CodeMirror) {
    'use strict';

    // The magics of this project at the time of writing; the kernel's list wins.
    var DEFAULT_MAGICS = ['analyze', 'clear', 'compare', 'config', 'datasets', 'deploy', 'echo',
        'evaluate', 'exit', 'explain', 'help', 'http', 'import', 'input', 'leaderboard', 'load',
        'models', 'plot', 'predict', 'save', 'schema', 'show', 'sleep', 'train', 'undeploy',
        'version'];
    var ATOMS = {'true': 1, 'false': 1, 'yes': 1, 'no': 1, 'on': 1, 'off': 1, 'auto': 1,
        'none': 1};
    var known = {};

    function setMagics(names) {
        var k = {};
        for (var i = 0; i < names.length; i++)
            if (typeof names[i] === 'string')
                k[names[i]] = true;
        known = k;
    }
    function isKnown(name) {
        return Object.prototype.hasOwnProperty.call(known, name);
    }
    setMagics(DEFAULT_MAGICS);

    var NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:[A-Za-z%]{1,3})?(?=[\s,;]|$)/;
    var KEY = /^(?:--)?[A-Za-z0-9_.-]+(?==)/;

    function readQuoted(stream, state) {
        var q = state.quote, c;
        while ((c = stream.next()) != null) {
            if (q === '"' && c === '\\') {
                stream.next();
                continue;
            }
            if (c === q) {
                state.quote = null;
                break;
            }
        }
        return 'string';
    }

    function value(stream, state) {
        var c = stream.peek();
        if (c === '"' || c === "'") {
            state.quote = stream.next();
            return readQuoted(stream, state);
        }
        if (c === ',' || c === ';') {
            stream.next();
            return 'punctuation';
        }
        if (stream.match(NUMBER))
            return 'number';
        var m = stream.match(/^[^\s,;"']+/);
        if (m)
            return ATOMS.hasOwnProperty(m[0].toLowerCase()) ? 'atom' : 'variable-3';
        stream.next();
        return null;
    }

    function args(stream, state) {
        if (stream.match(/^\\\s*$/)) {
            state.cont = true;
            return 'meta';
        }
        if (state.inValue)
            return value(stream, state);
        if (state.expectName) {
            state.expectName = false;
            if (stream.match(/^[^\s"']+/))
                return 'def automl-name';
        }
        var c = stream.peek();
        if (c === '"' || c === "'") {
            state.quote = stream.next();
            return readQuoted(stream, state);
        }
        if (stream.match(KEY)) {
            return 'attribute automl-key';
        }
        if (c === '=') {
            stream.next();
            state.inValue = true;
            return 'operator';
        }
        if (stream.match(/^--[A-Za-z0-9_.-]+/))
            return 'attribute automl-key';
        if (stream.match(/^as(?=\s|$)/)) {
            state.expectName = true;
            return 'keyword automl-as';
        }
        if (stream.match(NUMBER))
            return 'number';
        if (stream.match(/^[^\s"'=]+/))
            return 'variable-2';
        stream.next();
        return null;
    }

    CodeMirror.defineMode('automl', function () {
        return {
            startState: function () {
                return {inMagic: false, sawMagic: false, cellMagic: false, cellBody: false,
                        cont: false, quote: null, inValue: false, expectName: false,
                        afterName: false};
            },
            copyState: function (s) {
                return {inMagic: s.inMagic, sawMagic: s.sawMagic, cellMagic: s.cellMagic,
                        cellBody: s.cellBody, cont: s.cont, quote: s.quote, inValue: s.inValue,
                        expectName: s.expectName, afterName: s.afterName};
            },
            token: function (stream, state) {
                if (stream.sol()) {
                    if (state.quote) {
                        // a quoted value that spans lines goes on
                    } else if (state.cont) {
                        state.cont = false;  // a continued logical line
                    } else {
                        if (state.inMagic && state.cellMagic)
                            state.cellBody = true;
                        state.inMagic = false;
                        state.inValue = false;
                        state.expectName = false;
                    }
                }
                if (state.quote)
                    return readQuoted(stream, state);
                if (stream.eatSpace()) {
                    state.inValue = false;
                    state.afterName = false;
                    return null;
                }
                if (state.cellBody) {
                    stream.skipToEnd();
                    return null;
                }
                if (!state.inMagic) {
                    if (stream.peek() === '#') {
                        stream.skipToEnd();
                        return 'comment';
                    }
                    var m = stream.match(/^%(%?)([A-Za-z0-9_-]*)/);
                    if (m) {
                        var cell = m[1] === '%', wasFirst = !state.sawMagic;
                        state.inMagic = true;
                        state.sawMagic = true;
                        state.afterName = true;
                        if (cell && wasFirst)
                            state.cellMagic = true;
                        if (!m[2] || (cell && !wasFirst))
                            return 'error';
                        return isKnown(m[2]) ? 'keyword automl-magic'
                                             : 'keyword automl-magic automl-magic-unknown';
                    }
                    if (stream.match(/^(?:exit|quit)\s*$/)) {
                        state.sawMagic = true;
                        return 'keyword';
                    }
                    stream.skipToEnd();
                    return 'error';
                }
                if (state.afterName) {
                    state.afterName = false;
                    if (stream.match(/^\?+/))
                        return 'operator';  // %name? pages the help
                }
                return args(stream, state);
            },
            blankLine: function (state) {
                if (!state.quote)
                    state.cont = false;
            },
            lineComment: '#'
        };
    });
    CodeMirror.defineMIME('text/x-automl', 'automl');
    if (CodeMirror.modeInfo) {
        var have = false;
        for (var i = 0; i < CodeMirror.modeInfo.length; i++)
            have = have || CodeMirror.modeInfo[i].mode === 'automl';
        if (!have)
            CodeMirror.modeInfo.push({name: 'AutoML', mime: 'text/x-automl', mode: 'automl',
                                      ext: ['automl']});
    }

    return {setMagics: setMagics, isKnown: isKnown, DEFAULT_MAGICS: DEFAULT_MAGICS};
});
