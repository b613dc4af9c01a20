# mk/nn.mk — dense algebra for the neural-network library (engine/nn_*.c), the MLP,
# k-NN and naive Bayes learners: OpenBLAS sgemm (pthread build, thread count set per
# fit through openblas_set_num_threads) and LAPACKE for later factorisations (PCA).
LAZY_PKGS += openblas
DEB_PACKAGES += libopenblas-dev liblapacke-dev
