# mk/features.mk — feature engineering (engine/features*.c): PCA through LAPACKE
# (ssyevd), k-means distances through OpenBLAS sgemm; both loaded on first use
# (engine/base/dl.h), so only their headers are needed at build time.
LAZY_PKGS += lapacke
DEB_PACKAGES += liblapacke-dev
