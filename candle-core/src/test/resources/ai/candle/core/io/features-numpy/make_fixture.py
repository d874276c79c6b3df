# Writes the numpy-made features dataset that FeaturesDatasetTest reads (run from this directory).
# It exercises what numpy users produce: a compressed archive, float64 / Fortran-ordered /
# float16 features, int32 labels, a float 0-d base_classes and CRLF line ends in classes.txt.
import numpy as np

train = np.array([[i + k / 10 for k in range(4)] for i in range(5)], dtype=np.float64)
test = np.asfortranarray(np.array([[10 * i + k for k in range(4)] for i in range(4)], dtype=np.float32))
text = np.array([[i - k / 4 for k in range(4)] for i in range(3)], dtype=np.float16)
np.savez_compressed(
    "features.npz",
    train_features=train,
    train_labels=np.array([0, 1, 0, 1, 1], dtype=np.int32),
    test_features=test,
    test_labels=np.array([0, 1, 2, 2], dtype=np.int64),
    text_features=text,
    base_classes=np.float64(2.0),
)
with open("classes.txt", "wb") as f:
    f.write("café\r\nnaïve_bayes\r\ndog\r\n".encode("utf-8"))
