namespace TopKLoss.Kernels;

/// <summary>The q largest entries of a row, in descending order, with their indices.</summary>
internal static class RowTop
{
    /// <summary>
    /// Fills values/indices (length q ≤ row length) with the q largest entries, descending; among
    /// equal values the lower index comes first. O(n) for random data: most entries fail the
    /// comparison with the current q-th value and cost one compare.
    /// </summary>
    public static void Largest(ReadOnlySpan<double> row, Span<double> values, Span<int> indices)
    {
        int q = values.Length, count = 0;
        for (int i = 0; i < row.Length; i++)
        {
            double v = row[i];
            if (count == q && !(v > values[q - 1])) continue;
            int at = count < q ? count++ : q - 1;
            while (at > 0 && v > values[at - 1])
            {
                values[at] = values[at - 1];
                indices[at] = indices[at - 1];
                at--;
            }
            values[at] = v;
            indices[at] = i;
        }
    }

    /// <summary>
    /// The j-th largest (1-based) entry among those with index ≠ skip, read off a descending
    /// top list of length ≥ j + 1 (or ≥ j when skip is absent from it).
    /// </summary>
    public static (double Value, int Index) NthExcluding(ReadOnlySpan<double> values, ReadOnlySpan<int> indices, int j, int skip)
    {
        for (int p = 0; p < values.Length; p++)
        {
            if (indices[p] == skip) continue;
            if (--j == 0) return (values[p], indices[p]);
        }
        throw new InvalidOperationException("top list too short");
    }
}
