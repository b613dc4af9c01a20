/*
 * aml_model.h — the model subsystem: the fitted model bundle (aml_model) that
 * %evaluate, %predict, %save and serving use — preparation pipeline(s), one or
 * more learners ("members") with ensemble weights, class names, task, metric,
 * the input schema and the training info — and its file format
 * (docs/model-format.md).
 *
 * Common rules: functions return 0 or a negative AML_E* code and fill `err`
 * (may be NULL) with a one-line reason.  A model is not thread-safe (one
 * thread at a time); different models are independent.
 */
#ifndef AML_MODEL_H
#define AML_MODEL_H
#include "aml_base.h"
#include "aml_data.h"
#include "aml_prep.h"
#include "aml_features.h"
#include "aml_learn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the model bundle ---- */

/* A fitted model: the preparation pipeline(s), one or more learners
 * ("members") with ensemble weights, class names, task, metric and the input
 * schema (the frame columns it reads).  Predicts from raw rows. */
typedef struct aml_model aml_model;

void aml_model_free(aml_model *model);   /* accepts NULL */

aml_task aml_model_task(const aml_model *model);
size_t aml_model_n_classes(const aml_model *model);          /* 0 for regression */
const char *aml_model_class_name(const aml_model *model, size_t k);
aml_metric aml_model_metric(const aml_model *model);         /* resolved */
const char *aml_model_target(const aml_model *model);
/* Values per predicted row: n_classes for multiclass, else 1. */
size_t aml_model_pred_width(const aml_model *model);
/* The frame columns the model reads (the schema), by name, with their type. */
size_t aml_model_n_inputs(const aml_model *model);
const char *aml_model_input_name(const aml_model *model, size_t i);
aml_type aml_model_input_type(const aml_model *model, size_t i);
/* Ensemble members: count, learner kind, hyper-parameters as text
 * ("max_depth=6 learning_rate=0.1"), weight (weights sum to 1), the fitted
 * learner and its preparation (borrowed, for %explain). */
size_t aml_model_n_members(const aml_model *model);
const char *aml_model_member_kind(const aml_model *model, size_t i);
const char *aml_model_member_params(const aml_model *model, size_t i);
double aml_model_member_weight(const aml_model *model, size_t i);
const aml_learner *aml_model_member_learner(const aml_model *model, size_t i);
const aml_prep *aml_model_member_prep(const aml_model *model, size_t i);
/* Member i's feature-engineering step, applied after its prep (borrowed;
 * NULL when the member has none). */
const aml_features *aml_model_member_features(const aml_model *model, size_t i);
/* The pipeline in words (preparation, features kept, members and weights). */
const char *aml_model_describe(const aml_model *model);

/* Predicts rows `rows` (n of them; NULL = all rows of the frame) of `frame`
 * (raw columns as at training, found by name; the target may be absent;
 * extra columns are ignored; a column read with another type than at
 * training — integers for categories, text for numbers — is retyped to the
 * training type, values that do not parse count as missing; unseen
 * categories and missing values are encoded as at training).  `out` is the caller's array of n * aml_model_pred_width values:
 * binary P(class 1), multiclass probabilities row-major, regression values.
 * Returns 0, AML_EINVAL (a missing or unreadable column, named in err),
 * AML_ENOMEM. */
int aml_model_predict(const aml_model *model, const aml_frame *frame, const size_t *rows,
                      size_t n, float *out, aml_error *err);
/* The columns the model reads from a frame (names borrowed from the model;
 * the array is the caller's, aml_free): a frame for aml_model_predict needs
 * these, other columns are ignored.  Returns 0 or AML_ENOMEM. */
int aml_model_required_columns(const aml_model *model, const char ***names, size_t *n);
/* Checks that `frame` has every column the model reads and, when some was
 * read with another type than at training (integers for categories, text
 * for numbers), makes a copy of those columns retyped to the training types.
 * aml_model_predict does this on each call; a caller predicting a large
 * frame in chunks does it once.  OUT: *copy (aml_frame_free), NULL when
 * `frame` fits as it is.  Returns 0, AML_EINVAL (a missing column, named in
 * err->source and err->text), AML_ENOMEM. */
int aml_model_conform(const aml_model *model, const aml_frame *frame, aml_frame **copy,
                      aml_error *err);
/* Class index per row (argmax; binary: P >= 0.5) from predictions as above.
 * `labels` has n entries.  Regression models: AML_EINVAL. */
int aml_model_predict_labels(const aml_model *model, const float *pred, size_t n,
                             size_t *labels, aml_error *err);

/* Serialise to bytes (aml_free) and back: the model file format of
 * docs/model-format.md.  The bytes carry a magic ("AMLM"), a format version
 * and a CRC32 of the content.  Model files are untrusted input: a damaged,
 * truncated, empty or foreign buffer is AML_EPARSE with a one-line reason
 * (never a crash, never an allocation larger than the buffer allows); a
 * newer format version is AML_EUNSUPPORTED.  Older versions (1, 2) load
 * (without training info).  A loaded model predicts bit-for-bit like the
 * saved one. */
int aml_model_save(const aml_model *model, unsigned char **bytes, size_t *len, aml_error *err);
int aml_model_load(const unsigned char *bytes, size_t len, aml_model **out, aml_error *err);
/* As aml_model_save, with the keys of the JSON object `extra_info` (may be
 * NULL) added to (or replacing those of) the training info in the saved
 * bytes only; the model is unchanged.  AML_EPARSE / AML_EINVAL when
 * extra_info is not a JSON object. */
int aml_model_save_ex(const aml_model *model, const char *extra_info, unsigned char **bytes,
                      size_t *len, aml_error *err);
/* Bytes the model holds in memory, estimated by the size of its serialised
 * parts (the learners' trees, weights or stored rows, the preparation's
 * statistics and dictionaries, the training info) plus what only memory
 * keeps (the preparation's fold assignment of the training rows).  0 for
 * NULL or when it cannot be measured (out of memory).  Thread-safe on a model
 * no one changes; it serialises the model, so it costs as much as a save. */
size_t aml_model_memory_size(const aml_model *model);
/* The format version aml_model_save writes (and the newest it reads). */
uint32_t aml_model_format_version(void);

/* Training info: one JSON object, as compact text (borrowed; "{}" when the
 * model has none, e.g. loaded from a version-2 file).  A model from
 * aml_search_run carries: metric, validation_score, validation_std (null
 * for an ensemble), test_score (null without a test split), target, task,
 * rows, test_rows, strategy, budget_seconds, seconds, trials,
 * trials_failed, stop_reason, seed, created (UTC, ISO 8601),
 * engine_version; %save adds dataset and source.  Unknown keys are kept. */
const char *aml_model_info(const aml_model *model);
/* Replaces the training info with the JSON object `json` (NULL or "" clears
 * it).  Returns 0, AML_EPARSE (not JSON), AML_EINVAL (not an object),
 * AML_ENOMEM. */
int aml_model_set_info(aml_model *model, const char *json, aml_error *err);

/* ---- image models ----
 *
 * A model may instead hold one image network (a CNN): it classifies images
 * of one shape, takes no frame columns (aml_model_n_inputs is 0) and has no
 * members; aml_model_predict on it is AML_EINVAL. */

/* True for a model that classifies images. */
bool aml_model_is_image(const aml_model *m);
/* The images it takes: channels (1 or 3), height, width (0s for a table model). */
void aml_model_image_shape(const aml_model *m, int *c, int *h, int *w);
/* Predictions for images rows[0..n) (NULL: all) of `images`, which must have the
 * model's shape (channels and size; AML_EINVAL saying both shapes otherwise).
 * out: n * aml_model_pred_width values, as aml_model_predict (binary: P(class 1);
 * multiclass: probabilities).  Deterministic: the same bytes give the same bits. */
int aml_model_predict_images(const aml_model *m, const aml_images *images, const size_t *rows,
                             size_t n, float *out, aml_error *err);
/* One encoded image (PNG or JPEG, any size, grey/RGB/RGBA, 8/16-bit): decoded,
 * converted to the model's channels and resized to its size as %import does
 * (aml_image_decode_to; its AML_EPARSE when the bytes are not an image). */
int aml_model_predict_encoded(const aml_model *m, const unsigned char *bytes, size_t len,
                              float *out, aml_error *err);

/* ---- engine-internal (amlp_): the bundle's layout, for the search that
 * builds models and the subsystems that read them ---- */

typedef struct amlp_member {
    char *kind;
    char *params;          /* text */
    double weight;
    size_t prep;           /* index into model->preps */
    aml_learner *learner;
    aml_features *features;   /* applied after the prep, or NULL */
} amlp_member;

/* An image model's network: the net (c*h*w inputs, n_classes logits), the
 * image shape, the per-channel normalisation (x - mean) / std on the 0..255
 * scale applied before the net, and the architecture in words. */
struct amlp_nn_net;
typedef struct amlp_image_net {
    struct amlp_nn_net *net;    /* owned */
    int c, h, w;
    float mean[3], std[3];      /* per-channel normalisation on the 0..255 scale */
    char *arch;                 /* the architecture in words */
} amlp_image_net;

struct aml_model {
    aml_task task;
    size_t n_classes;
    char **class_names;
    aml_metric metric;
    char *target;
    size_t n_inputs;
    char **input_names;
    aml_type *input_types;
    size_t n_preps;
    aml_prep **preps;
    size_t n_members;
    amlp_member *members;
    char *describe;
    char *info;            /* training info, a JSON object (amlp_ memory), or NULL */
    amlp_image_net *image; /* the image network, NULL for table models */
};

/* An empty model for the task (class names and inputs copied later).
 * Returns NULL when out of memory. */
aml_model *amlp_model_new(aml_task task, size_t n_classes, aml_metric metric, const char *target);
/* Takes ownership of prep / learner.  Returns the index or a negative code. */
int amlp_model_add_prep(aml_model *m, aml_prep *prep);
int amlp_model_add_member(aml_model *m, const char *kind, const char *params, double weight,
                          size_t prep, aml_learner *learner);
/* Gives member i a features step (owned; freed on failure too). */
int amlp_model_set_features(aml_model *m, size_t i, aml_features *f);
int amlp_model_set_classes(aml_model *m, const aml_prep *prep);
int amlp_model_set_inputs(aml_model *m, const aml_frame *frame, const char *const *cols, size_t n);
/* Sets the describe text from the preps and the members (plus `extra`). */
int amlp_model_finish(aml_model *m, const char *extra);
/* The model's training info with the keys of the JSON object `extra` (may be
 * NULL) added or replaced.  OUT: *out (amlp_free).  Returns 0 or a code. */
int amlp_model_info_merged(const aml_model *m, const char *extra, char **out, aml_error *err);
/* Makes m (from amlp_model_new: binary or multiclass, n_classes >= 2) an
 * image model: the net reads c*h*w inputs and gives n_classes logits; sets
 * the describe text "CNN: <arch> (N weights)".  Takes ownership of net
 * (also on failure).  Returns 0, AML_EINVAL (a shape, normalisation or net
 * that does not fit, said in err), AML_ENOMEM. */
int amlp_model_set_image_net(aml_model *m, struct amlp_nn_net *net, int c, int h, int w,
                             const float mean[3], const float std[3], const char *arch);
/* Class names from an array (the image set's class names); n must be the
 * model's class count.  Returns 0, AML_EINVAL, AML_ENOMEM. */
int amlp_model_set_class_names(aml_model *m, const char *const *names, size_t n);
/* Frees an image network (accepts NULL). */
void amlp_image_net_free(amlp_image_net *in);

#ifdef __cplusplus
}
#endif

#endif
