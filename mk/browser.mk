# The notebook extension (share/jupyter/kernels/automl/kernel.js, kernel.css,
# ext/) and its browser test (tests/integration/test_browser.py): the classic
# Notebook 6 serves the extension from the kernelspec; headless Chromium
# driven by Selenium through chromedriver checks it.
DEB_PACKAGES += jupyter-notebook python3-notebook python3-selenium chromium chromium-driver
