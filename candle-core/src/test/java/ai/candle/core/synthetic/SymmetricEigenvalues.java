package ai.candle.core.synthetic;

/**
 * Eigenvalues of a real symmetric matrix, for the tests' covariance statistics: Householder
 * reduction to tridiagonal form, then the QL algorithm with implicit Wilkinson-style shifts on the
 * tridiagonal matrix. O(n³); a 512×512 covariance takes well under a second.
 */
final class SymmetricEigenvalues {
  private SymmetricEigenvalues() {}

  /**
   * The n eigenvalues (unsorted) of the symmetric n×n row-major matrix {@code a} (not modified).
   *
   * @throws IllegalStateException if the QL iteration does not converge
   */
  static double[] of(double[] a, int n) {
    double[] m = a.clone();
    double[] diag = new double[n];
    double[] off = new double[n]; // off[i] couples diag[i] and diag[i + 1]
    tridiagonalize(m, n, diag, off);
    ql(diag, off, n);
    return diag;
  }

  /** Householder: column by column, zero everything below the subdiagonal. */
  private static void tridiagonalize(double[] m, int n, double[] diag, double[] off) {
    double[] v = new double[n];
    double[] p = new double[n];
    for (int k = 0; k < n - 2; k++) {
      double norm = 0;
      for (int i = k + 1; i < n; i++) {
        norm += m[i * n + k] * m[i * n + k];
      }
      norm = Math.sqrt(norm);
      if (norm == 0) {
        continue;
      }
      double alpha = m[(k + 1) * n + k] > 0 ? -norm : norm;
      // v = x − alpha·e1, normalised; H = I − 2vvᵀ maps x to alpha·e1
      double vv = 0;
      for (int i = k + 1; i < n; i++) {
        v[i] = m[i * n + k];
      }
      v[k + 1] -= alpha;
      for (int i = k + 1; i < n; i++) {
        vv += v[i] * v[i];
      }
      double vnorm = Math.sqrt(vv);
      if (vnorm == 0) {
        continue;
      }
      for (int i = k + 1; i < n; i++) {
        v[i] /= vnorm;
      }
      // trailing block A ← H A H = A − 2 v qᵀ − 2 q vᵀ, q = p − (vᵀp) v, p = A v
      double vp = 0;
      for (int i = k + 1; i < n; i++) {
        double s = 0;
        for (int j = k + 1; j < n; j++) {
          s += m[i * n + j] * v[j];
        }
        p[i] = s;
        vp += v[i] * s;
      }
      for (int i = k + 1; i < n; i++) {
        p[i] -= vp * v[i];
      }
      for (int i = k + 1; i < n; i++) {
        for (int j = k + 1; j < n; j++) {
          m[i * n + j] -= 2 * (v[i] * p[j] + p[i] * v[j]);
        }
      }
      m[(k + 1) * n + k] = alpha;
      m[k * n + k + 1] = alpha;
      for (int i = k + 2; i < n; i++) {
        m[i * n + k] = 0;
        m[k * n + i] = 0;
      }
    }
    for (int i = 0; i < n; i++) {
      diag[i] = m[i * n + i];
      off[i] = i + 1 < n ? m[(i + 1) * n + i] : 0;
    }
  }

  /** QL with implicit shifts on a symmetric tridiagonal matrix; the eigenvalues replace diag. */
  private static void ql(double[] d, double[] e, int n) {
    for (int l = 0; l < n; l++) {
      int iterations = 0;
      int m;
      do {
        for (m = l; m < n - 1; m++) {
          double dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
          if (Math.abs(e[m]) <= 1e-15 * dd) {
            break;
          }
        }
        if (m != l) {
          if (++iterations > 60) {
            throw new IllegalStateException("QL did not converge at eigenvalue " + l);
          }
          double g = (d[l + 1] - d[l]) / (2 * e[l]);
          double r = Math.hypot(g, 1);
          g = d[m] - d[l] + e[l] / (g + Math.copySign(r, g));
          double s = 1;
          double c = 1;
          double p = 0;
          int i;
          boolean deflated = false;
          for (i = m - 1; i >= l; i--) {
            double f = s * e[i];
            double b = c * e[i];
            r = Math.hypot(f, g);
            e[i + 1] = r;
            if (r == 0) {
              d[i + 1] -= p;
              e[m] = 0;
              deflated = true;
              break;
            }
            s = f / r;
            c = g / r;
            g = d[i + 1] - p;
            r = (d[i] - g) * s + 2 * c * b;
            p = s * r;
            d[i + 1] = g + p;
            g = c * r - b;
          }
          if (deflated) {
            continue;
          }
          d[l] -= p;
          e[l] = g;
          e[m] = 0;
        }
      } while (m != l);
    }
  }
}
