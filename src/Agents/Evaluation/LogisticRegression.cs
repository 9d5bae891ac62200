namespace KnowledgeQa.Agents.Evaluation;

/// <summary>The fitting both answer models share (relevance and sentence choice).</summary>
internal static class LogisticRegression
{
    /// <summary>L2-regularised logistic regression by Newton's method on standardised inputs; weights returned on the raw scale.</summary>
    public static (double[] Weights, double Bias) Fit(IReadOnlyList<(double[] X, bool Y)> rows, double l2)
    {
        var d = rows[0].X.Length;
        var mean = new double[d];
        var scale = new double[d];
        for (var j = 0; j < d; j++)
        {
            mean[j] = rows.Average(r => r.X[j]);
            var variance = rows.Average(r => (r.X[j] - mean[j]) * (r.X[j] - mean[j]));
            scale[j] = variance > 1e-12 ? Math.Sqrt(variance) : 0;
        }

        // Parameter 0 is the bias; inputs that never vary (dense for the lexical model) keep weight 0.
        var w = new double[d + 1];
        for (var iteration = 0; iteration < 50; iteration++)
        {
            var gradient = new double[d + 1];
            var hessian = new double[d + 1, d + 1];
            var z = new double[d + 1];
            foreach (var (x, y) in rows)
            {
                z[0] = 1;
                for (var j = 0; j < d; j++)
                    z[j + 1] = scale[j] > 0 ? (x[j] - mean[j]) / scale[j] : 0;
                var dot = 0.0;
                for (var j = 0; j <= d; j++)
                    dot += w[j] * z[j];
                var p = 1 / (1 + Math.Exp(-dot));
                var error = p - (y ? 1 : 0);
                var curvature = Math.Max(p * (1 - p), 1e-9);
                for (var a = 0; a <= d; a++)
                {
                    gradient[a] += error * z[a];
                    for (var b = 0; b <= d; b++)
                        hessian[a, b] += curvature * z[a] * z[b];
                }
            }

            for (var a = 1; a <= d; a++)
            {
                gradient[a] += l2 * w[a];
                hessian[a, a] += scale[a - 1] > 0 ? l2 : 1;
            }

            hessian[0, 0] += 1e-9;
            var step = Solve(hessian, gradient);
            var change = 0.0;
            for (var a = 0; a <= d; a++)
            {
                w[a] -= step[a];
                change = Math.Max(change, Math.Abs(step[a]));
            }

            if (change < 1e-8)
                break;
        }

        var weights = new double[d];
        var bias = w[0];
        for (var j = 0; j < d; j++)
        {
            weights[j] = scale[j] > 0 ? w[j + 1] / scale[j] : 0;
            bias -= weights[j] * mean[j];
        }

        return (weights, bias);
    }

    /// <summary>Gaussian elimination with partial pivoting (the system is small and positive definite).</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (var c = 0; c < n; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < n; r++)
            {
                if (Math.Abs(m[r, c]) > Math.Abs(m[pivot, c]))
                    pivot = r;
            }

            for (var k = 0; k < n; k++)
                (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            (x[c], x[pivot]) = (x[pivot], x[c]);
            for (var r = c + 1; r < n; r++)
            {
                var f = m[r, c] / m[c, c];
                for (var k = c; k < n; k++)
                    m[r, k] -= f * m[c, k];
                x[r] -= f * x[c];
            }
        }

        for (var r = n - 1; r >= 0; r--)
        {
            for (var k = r + 1; k < n; k++)
                x[r] -= m[r, k] * x[k];
            x[r] /= m[r, r];
        }

        return x;
    }
}
