/* aml_analyze.h — placeholder replaced below */
