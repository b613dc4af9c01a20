/* aml_frame.h — libaml subsystem header (included by aml.h). */
#ifndef AML_FRAME_H
#define AML_FRAME_H
#include "aml.h"
#endif
