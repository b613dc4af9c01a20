/*
 * model_xgb.c — checks the learners inside a model file before they load:
 * the envelope's task, classes, features and hyper-parameters, an mlp's
 * layer sizes against the bytes left, and the XGBoost boosters before
 * XGBoost sees them.  XGBoost's UBJSON reader trusts its input (lengths and
 * counts are not checked against the buffer; tree links are not checked at
 * all), so a forged model file could make it read out of bounds or loop
 * forever while predicting.  Model files are untrusted input: the booster
 * bytes of every xgb / rf member are parsed here first, with a strict
 * grammar (exactly the forms XGBoost writes, every length bounded by the
 * bytes remaining, nesting at most 32 deep), and the trees are checked:
 * node arrays of one length, children in range and each node reached from
 * one parent only (so traversal ends), split features below the learner's
 * feature count, no categorical splits, tree groups below the class count,
 * the learner's feature and class counts as the envelope says.
 *
 * The envelope layout read here is learner.c's (magic, version, kind, task,
 * classes, features, parameters) followed by learn_xgb.c's state (rounds,
 * base margin, scale, boosters: trees, length, UBJSON bytes).
 */
#include "model/model_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32
#define ROOT_PARENT 2147483647

/* One parsed UBJSON value.  Containers link their children; typed arrays
 * point at their elements in the input. */
typedef struct ubj_node {
    char type;              /* Z T F i U I l L d D S [ { */
    char elem;              /* typed array: element type, else 0 */
    const unsigned char *key, *data;   /* key in the parent object; S: text, [$: elements */
    size_t key_len, len;    /* S: bytes; [: elements; {: members */
    long first, next;       /* first child, next sibling (-1: none) */
} ubj_node;

typedef struct ubj {
    const unsigned char *p;
    size_t n, pos;
    ubj_node *nodes;
    size_t count, cap;
    char *why;
    size_t why_cap;
} ubj;

static int fail(ubj *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(ubj *u, const char *fmt, ...)
{
    if (u->why[0] == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(u->why, u->why_cap, fmt, ap);
        va_end(ap);
    }
    return AML_EPARSE;
}

static size_t elem_size(char t)
{
    switch (t) {
    case 'i': case 'U': return 1;
    case 'I': return 2;
    case 'l': case 'd': return 4;
    case 'L': case 'D': return 8;
    }
    return 0;
}

static uint64_t be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Signed integer of type t at p. */
static int64_t int_at(char t, const unsigned char *p)
{
    switch (t) {
    case 'i': return (int8_t)p[0];
    case 'U': return p[0];
    case 'I': return (int16_t)be(p, 2);
    case 'l': return (int32_t)be(p, 4);
    case 'L': return (int64_t)be(p, 8);
    }
    return 0;
}

/* A length or count: XGBoost writes (and reads) them as 'L' int64. */
static int read_len(ubj *u, size_t *out)
{
    if (u->n - u->pos < 9 || u->p[u->pos] != 'L')
        return fail(u, "booster: bad length");
    int64_t v = (int64_t)be(u->p + u->pos + 1, 8);
    u->pos += 9;
    if (v < 0 || (uint64_t)v > u->n - u->pos)
        return fail(u, "booster: length past the end of the data");
    *out = (size_t)v;
    return 0;
}

static long new_node(ubj *u, char type)
{
    if (u->count == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 256;
        ubj_node *v = amlp_realloc(u->nodes, cap * sizeof *v);
        if (!v)
            return AML_ENOMEM;
        u->nodes = v;
        u->cap = cap;
    }
    ubj_node *e = &u->nodes[u->count];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->first = e->next = -1;
    return (long)u->count++;
}

static long parse_value(ubj *u, int depth);

/* Parses children until ']' / '}' or `count` of them; links them under `self`. */
static int parse_children(ubj *u, long self, bool object, bool counted, size_t count, int depth)
{
    long last = -1;
    size_t k = 0;
    for (;;) {
        if (counted && k == count)
            break;
        if (u->pos >= u->n)
            return fail(u, "booster: unterminated container");
        if (!counted && u->p[u->pos] == (object ? '}' : ']')) {
            u->pos++;
            break;
        }
        const unsigned char *key = NULL;
        size_t key_len = 0;
        if (object) {
            if (read_len(u, &key_len))
                return AML_EPARSE;
            key = u->p + u->pos;
            u->pos += key_len;
        }
        long c = parse_value(u, depth + 1);
        if (c < 0)
            return (int)c;
        u->nodes[c].key = key;
        u->nodes[c].key_len = key_len;
        if (last < 0)
            u->nodes[self].first = c;
        else
            u->nodes[last].next = c;
        last = c;
        k++;
    }
    u->nodes[self].len = k;
    return 0;
}

static long parse_value(ubj *u, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(u, "booster: nested too deep");
    if (u->pos >= u->n)
        return fail(u, "booster: value past the end of the data");
    char t = (char)u->p[u->pos++];
    long self;
    switch (t) {
    case 'Z': case 'T': case 'F':
        return new_node(u, t);
    case 'i': case 'U': case 'I': case 'l': case 'L': case 'd': case 'D':
        if (u->n - u->pos < elem_size(t))
            return fail(u, "booster: number past the end of the data");
        self = new_node(u, t);
        if (self >= 0)
            u->nodes[self].data = u->p + u->pos;
        u->pos += elem_size(t);
        return self;
    case 'S': {
        size_t n;
        if (read_len(u, &n))
            return AML_EPARSE;
        self = new_node(u, t);
        if (self >= 0) {
            u->nodes[self].data = u->p + u->pos;
            u->nodes[self].len = n;
        }
        u->pos += n;
        return self;
    }
    case '[': {
        self = new_node(u, t);
        if (self < 0)
            return self;
        if (u->pos < u->n && u->p[u->pos] == '$') {
            if (u->n - u->pos < 3 || !elem_size((char)u->p[u->pos + 1]) || u->p[u->pos + 2] != '#')
                return fail(u, "booster: bad typed array");
            char e = (char)u->p[u->pos + 1];
            u->pos += 3;
            size_t n;
            if (read_len(u, &n))
                return AML_EPARSE;
            if (n > (u->n - u->pos) / elem_size(e))
                return fail(u, "booster: array past the end of the data");
            u->nodes[self].elem = e;
            u->nodes[self].data = u->p + u->pos;
            u->nodes[self].len = n;
            u->pos += n * elem_size(e);
            return self;
        }
        bool counted = u->pos < u->n && u->p[u->pos] == '#';
        size_t n = 0;
        if (counted) {
            u->pos++;
            if (read_len(u, &n))
                return AML_EPARSE;
        }
        int rc = parse_children(u, self, false, counted, n, depth);
        return rc ? rc : self;
    }
    case '{': {
        self = new_node(u, t);
        if (self < 0)
            return self;
        int rc = parse_children(u, self, true, false, 0, depth);
        return rc ? rc : self;
    }
    }
    return fail(u, "booster: unexpected value type 0x%02x", (unsigned char)t);
}

/* ---- lookups ---- */

static const ubj_node *get(const ubj *u, const ubj_node *obj, const char *key)
{
    if (!obj || obj->type != '{')
        return NULL;
    size_t kl = strlen(key);
    for (long c = obj->first; c >= 0; c = u->nodes[c].next)
        if (u->nodes[c].key_len == kl && memcmp(u->nodes[c].key, key, kl) == 0)
            return &u->nodes[c];
    return NULL;
}

/* An XGBoost parameter: a string holding a whole number. */
static bool param_int(const ubj_node *s, int64_t *v)
{
    if (!s || s->type != 'S' || s->len == 0 || s->len > 18)
        return false;
    int64_t x = 0;
    for (size_t i = 0; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9')
            return false;
        x = x * 10 + (s->data[i] - '0');
    }
    *v = x;
    return true;
}

/* Iterates the integers of an array (typed or not). */
typedef struct ints {
    const ubj *u;
    const ubj_node *a;
    size_t i;
    long child;
} ints;

static bool ints_ok(const ubj_node *a)
{
    if (!a || a->type != '[')
        return false;
    return !a->elem || (a->elem != 'd' && a->elem != 'D');
}

static bool ints_next(ints *it, int64_t *v)
{
    const ubj_node *a = it->a;
    if (it->i >= a->len)
        return false;
    if (a->elem) {
        *v = int_at(a->elem, a->data + it->i * elem_size(a->elem));
    } else {
        const ubj_node *c = &it->u->nodes[it->i == 0 ? a->first : it->child];
        if (!strchr("iUIlL", c->type))
            return false;
        *v = int_at(c->type, c->data);
        it->child = c->next;
    }
    it->i++;
    return true;
}

/* Reads the n integers of array `a` into v (n = a->len, checked by caller). */
static int read_ints(ubj *u, const ubj_node *a, int64_t *v, const char *what)
{
    if (!ints_ok(a))
        return fail(u, "booster: %s is not an array of integers", what);
    ints it = {u, a, 0, -1};
    for (size_t i = 0; i < a->len; i++)
        if (!ints_next(&it, &v[i]))
            return fail(u, "booster: %s is not an array of integers", what);
    return 0;
}

static int check_tree(ubj *u, const ubj_node *t, size_t k, int64_t n_features)
{
    /* XGBoost puts tree `id` at that index: a repeated id leaves a hole */
    const ubj_node *id = get(u, t, "id");
    if (!id || !strchr("iUIlL", id->type) || id->type == 0 || int_at(id->type, id->data) != (int64_t)k)
        return fail(u, "booster: tree %zu has another id", k);
    const ubj_node *tp = get(u, t, "tree_param");
    int64_t nn = 0, nf = 0, slv = 0;
    if (!param_int(get(u, tp, "num_nodes"), &nn) || !param_int(get(u, tp, "num_feature"), &nf) ||
        nn < 1 || nf > n_features)
        return fail(u, "booster: tree %zu: bad tree_param", k);
    if (param_int(get(u, tp, "size_leaf_vector"), &slv) && slv > 1)
        return fail(u, "booster: tree %zu: vector leaves", k);
    static const char *const arrays[] = {"left_children", "right_children", "parents",
                                         "split_indices", "split_conditions", "default_left",
                                         "split_type", "base_weights", "loss_changes",
                                         "sum_hessian"};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) {
        const ubj_node *a = get(u, t, arrays[i]);
        if (!a || a->type != '[' || a->len != (size_t)nn)
            return fail(u, "booster: tree %zu: %s does not have %lld entries", k, arrays[i],
                        (long long)nn);
    }
    static const char *const cats[] = {"categories", "categories_nodes", "categories_segments",
                                       "categories_sizes"};
    for (size_t i = 0; i < sizeof cats / sizeof *cats; i++) {
        const ubj_node *a = get(u, t, cats[i]);
        if (a && (a->type != '[' || a->len != 0))
            return fail(u, "booster: tree %zu: categorical splits", k);
    }
    size_t n = (size_t)nn;
    int64_t *v = amlp_malloc(5 * n * sizeof *v);
    if (!v)
        return AML_ENOMEM;
    int64_t *left = v, *right = v + n, *par = v + 2 * n, *split = v + 3 * n, *seen = v + 4 * n;
    int rc = read_ints(u, get(u, t, "left_children"), left, "left_children");
    rc = rc ? rc : read_ints(u, get(u, t, "right_children"), right, "right_children");
    rc = rc ? rc : read_ints(u, get(u, t, "parents"), par, "parents");
    rc = rc ? rc : read_ints(u, get(u, t, "split_indices"), split, "split_indices");
    if (rc == 0) {
        /* split_type: all numerical */
        const ubj_node *st = get(u, t, "split_type");
        ints it = {u, st, 0, -1};
        int64_t x;
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (!ints_ok(st) || !ints_next(&it, &x) || x != 0)
                rc = fail(u, "booster: tree %zu: categorical splits", k);
    }
    memset(seen, 0, n * sizeof *seen);
    if (rc == 0 && par[0] != ROOT_PARENT)
        rc = fail(u, "booster: tree %zu: node 0 is not the root", k);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (split[i] < 0 || split[i] >= (n_features > 0 ? n_features : 1))
            rc = fail(u, "booster: tree %zu: split on feature %lld of %lld", k,
                      (long long)split[i], (long long)n_features);
        else if (left[i] == -1 && right[i] == -1)
            continue;
        else if (left[i] < 1 || right[i] < 1 || left[i] >= nn || right[i] >= nn ||
                 left[i] == right[i])
            rc = fail(u, "booster: tree %zu: node %zu has children out of range", k, i);
        else if (seen[left[i]]++ || seen[right[i]]++)
            rc = fail(u, "booster: tree %zu: a node with two parents", k);
        else if (par[left[i]] != (int64_t)i || par[right[i]] != (int64_t)i)
            rc = fail(u, "booster: tree %zu: parent links disagree", k);
    }
    amlp_free(v);
    return rc;
}

static int check_booster(ubj *u, int64_t n_features, int64_t n_classes, aml_task task,
                         uint64_t rounds)
{
    long root = parse_value(u, 0);
    if (root < 0)
        return (int)root;
    if (u->pos != u->n)
        return fail(u, "booster: %zu unexpected bytes after it", u->n - u->pos);
    const ubj_node *learner = get(u, &u->nodes[root], "learner");
    const ubj_node *lmp = get(u, learner, "learner_model_param");
    int64_t nf = -1, nc = -1, nt = 1;
    if (!param_int(get(u, lmp, "num_feature"), &nf) || nf != n_features)
        return fail(u, "booster: its feature count is not the learner's (%lld)",
                    (long long)n_features);
    if (!param_int(get(u, lmp, "num_class"), &nc) ||
        (task == AML_TASK_MULTICLASS ? nc != n_classes : nc > 1))
        return fail(u, "booster: its class count is not the learner's");
    if (get(u, lmp, "num_target") && (!param_int(get(u, lmp, "num_target"), &nt) || nt != 1))
        return fail(u, "booster: more than one target");
    const ubj_node *fn = get(u, learner, "feature_names"), *ft = get(u, learner, "feature_types");
    if ((fn && (fn->type != '[' || fn->len)) || (ft && (ft->type != '[' || ft->len)))
        return fail(u, "booster: feature names or types");
    const ubj_node *gb = get(u, learner, "gradient_booster");
    const ubj_node *name = get(u, gb, "name");
    if (!name || name->type != 'S' || name->len != 6 || memcmp(name->data, "gbtree", 6) != 0)
        return fail(u, "booster: not a gbtree booster");
    const ubj_node *model = get(u, gb, "model");
    const ubj_node *gp = get(u, model, "gbtree_model_param");
    const ubj_node *trees = get(u, model, "trees"), *info = get(u, model, "tree_info");
    int64_t ntrees = -1, slv = 0;
    if (!param_int(get(u, gp, "num_trees"), &ntrees) || !trees || trees->type != '[' ||
        trees->elem || (int64_t)trees->len != ntrees || !ints_ok(info) ||
        (int64_t)info->len != ntrees)
        return fail(u, "booster: the tree count disagrees");
    if (param_int(get(u, gp, "size_leaf_vector"), &slv) && slv > 1)
        return fail(u, "booster: vector leaves");
    int64_t groups = nc > 1 ? nc : 1, g, npt = 1;
    /* prediction runs `rounds` layers of num_parallel_tree x groups trees */
    if (get(u, gp, "num_parallel_tree") &&
        (!param_int(get(u, gp, "num_parallel_tree"), &npt) || npt < 1 || npt > ntrees))
        return fail(u, "booster: bad num_parallel_tree");
    if (rounds > (uint64_t)ntrees || (int64_t)rounds * npt * groups > ntrees)
        return fail(u, "booster: %llu rounds of %lld trees, it has %lld",
                    (unsigned long long)rounds, (long long)(npt * groups), (long long)ntrees);
    ints it = {u, info, 0, -1};
    for (int64_t i = 0; i < ntrees; i++)
        if (!ints_next(&it, &g) || g < 0 || g >= groups)
            return fail(u, "booster: tree %lld is in group %lld of %lld", (long long)i,
                        (long long)g, (long long)groups);
    const ubj_node *ip = get(u, model, "iteration_indptr");
    if (ip) {
        int64_t prev = 0, x;
        ints jt = {u, ip, 0, -1};
        if (!ints_ok(ip) || ip->len < 1)
            return fail(u, "booster: bad iteration_indptr");
        for (size_t i = 0; i < ip->len; i++)
            if (!ints_next(&jt, &x) || x < prev || x > ntrees || (i == 0 && x != 0))
                return fail(u, "booster: bad iteration_indptr");
            else
                prev = x;
    }
    size_t k = 0;
    for (long c = trees->first; c >= 0; c = u->nodes[c].next, k++) {
        int rc = check_tree(u, &u->nodes[c], k, nf);
        if (rc)
            return rc;
    }
    return 0;
}

/* The mlp state (learn_mlp.c, nn_net.c, nn_layer.c): loss, outputs, inputs
 * d, d means, d deviations, target mean and deviation, then the network:
 * magic, inputs, layers; each layer: type, inputs, outputs, its settings
 * (dropout, batch norm: 16 bytes), its float blocks (u64 n + n floats;
 * dense 2, batch norm 4).  A dense layer's weights are allocated from its
 * header before they are read, so in x out must fit in the bytes left.
 * Where the bytes do not follow this walk, the loader decides. */
static int check_mlp(amlp_reader *r, char *why, size_t cap)
{
    uint64_t loss, nout, d, magic, nin, nl;
    double y;
    if (amlp_read_u64(r, &loss) || amlp_read_u64(r, &nout) || amlp_read_u64(r, &d) ||
        d > (r->len - r->pos) / 8)
        return 0;
    r->pos += (size_t)d * 8;
    if (amlp_read_f64(r, &y) || amlp_read_f64(r, &y) || amlp_read_u64(r, &magic) ||
        amlp_read_u64(r, &nin) || amlp_read_u64(r, &nl))
        return 0;
    for (uint64_t i = 0; i < nl; i++) {
        uint64_t type, in, out;
        if (amlp_read_u64(r, &type) || amlp_read_u64(r, &in) || amlp_read_u64(r, &out))
            return 0;
        size_t left = r->len - r->pos, blocks;
        switch ((uint32_t)type) {   /* as the loader reads it: an int enum */
        case 1:   /* dense */
            if (in && out && (in > left / 4 / out)) {
                snprintf(why, cap, "mlp learner: a %llu x %llu layer in %zu bytes",
                         (unsigned long long)in, (unsigned long long)out, left);
                return AML_EPARSE;
            }
            blocks = 2;
            break;
        case 2: case 3: blocks = 0; break;                      /* relu, gelu */
        case 4: blocks = 0; r->pos += left >= 16 ? 16 : left; break;   /* dropout */
        case 5: blocks = 4; r->pos += left >= 16 ? 16 : left; break;   /* batch norm */
        default: return 0;
        }
        for (size_t b = 0; b < blocks; b++) {
            uint64_t n;
            if (amlp_read_u64(r, &n) || n > (r->len - r->pos) / 4)
                return 0;
            r->pos += (size_t)n * 4;
        }
    }
    return 0;
}

int amlp_model_check_learner(const unsigned char *d, size_t len, aml_task want_task,
                             size_t want_classes, char *why, size_t cap)
{
    why[0] = 0;
    amlp_reader r = {d, len, 0};
    char magic[4], kind[32];
    uint64_t version, klen, task, ncls, nfeat, nparams;
    if (amlp_read(&r, magic, 4) || amlp_read_u64(&r, &version) || amlp_read_u64(&r, &klen) ||
        klen >= sizeof kind || amlp_read(&r, kind, (size_t)klen))
        return 0;   /* aml_learner_load says what is wrong */
    kind[klen] = 0;
    if (version != 1 || amlp_read_u64(&r, &task) || amlp_read_u64(&r, &ncls) ||
        amlp_read_u64(&r, &nfeat) || amlp_read_u64(&r, &nparams))
        return 0;
    /* the learner sizes its buffers from these before anything else checks them */
    if (task != (uint64_t)want_task) {
        snprintf(why, cap, "a %s learner in a %s model",
                 task <= AML_TASK_REGRESSION ? aml_task_name((aml_task)task) : "?",
                 aml_task_name(want_task));
        return AML_EPARSE;
    }
    if (ncls != want_classes) {
        snprintf(why, cap, "the learner has %llu classes, the model %zu",
                 (unsigned long long)ncls, want_classes);
        return AML_EPARSE;
    }
    if (nfeat == 0 || nfeat > AMLP_MODEL_MAX_FEATURES) {
        snprintf(why, cap, "%llu features", (unsigned long long)nfeat);
        return AML_EPARSE;
    }
    /* hyper-parameters inside the kind's space: the learners size buffers
     * from some of them (k neighbours, layers, ...) */
    size_t nspec = 0;
    const aml_param_spec *spec = aml_learner_space(kind, &nspec);
    if (nparams > (r.len - r.pos) / 16) {
        snprintf(why, cap, "%s learner: truncated parameters", kind);
        return AML_EPARSE;
    }
    for (uint64_t i = 0; i < nparams; i++) {
        uint64_t n;
        double v;
        if (amlp_read_u64(&r, &n) || n > r.len - r.pos || n > 64) {
            snprintf(why, cap, "%s learner: bad parameter name", kind);
            return AML_EPARSE;
        }
        const char *name = (const char *)r.data + r.pos;
        r.pos += (size_t)n;
        if (amlp_read_f64(&r, &v) || !isfinite(v)) {
            snprintf(why, cap, "%s learner: bad parameter value", kind);
            return AML_EPARSE;
        }
        for (size_t j = 0; spec && j < nspec; j++) {
            if (strlen(spec[j].name) != n || memcmp(spec[j].name, name, (size_t)n) != 0)
                continue;
            double lo = spec[j].lo, hi = spec[j].hi;
            if (spec[j].type == AML_PARAM_CHOICE) {
                lo = 0;
                hi = 0;
                for (const char *c = spec[j].choices; c && *c; c++)
                    hi += *c == '|';
            }
            if (v < lo || v > hi || (spec[j].type != AML_PARAM_REAL && v != floor(v))) {
                snprintf(why, cap, "%s learner: %s=%g is outside its range", kind, spec[j].name,
                         v);
                return AML_EPARSE;
            }
        }
    }
    if (strcmp(kind, "mlp") == 0)
        return check_mlp(&r, why, cap);
    if (strcmp(kind, "xgb") != 0 && strcmp(kind, "rf") != 0)
        return 0;
    uint64_t rounds, nb;
    double margin, scale;
    if (amlp_read_u64(&r, &rounds) || amlp_read_f64(&r, &margin) || amlp_read_f64(&r, &scale) ||
        amlp_read_u64(&r, &nb) || nb > (r.len - r.pos) / 16) {
        snprintf(why, cap, "%s learner: truncated state", kind);
        return AML_EPARSE;
    }
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < nb; i++) {
        uint64_t trees, blen;
        if (amlp_read_u64(&r, &trees) || amlp_read_u64(&r, &blen) || blen > r.len - r.pos) {
            snprintf(why, cap, "%s learner: truncated booster", kind);
            return AML_EPARSE;
        }
        ubj u = {r.data + r.pos, (size_t)blen, 0, NULL, 0, 0, why, cap};
        rc = check_booster(&u, (int64_t)nfeat, (int64_t)ncls, (aml_task)task, rounds);
        amlp_free(u.nodes);
        r.pos += (size_t)blen;
    }
    return rc;
}
