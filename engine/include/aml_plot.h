/* aml_plot.h — libaml subsystem header (included by aml.h). */
#ifndef AML_PLOT_H
#define AML_PLOT_H
#include "aml.h"
#endif
