namespace TopKLoss.Sets;

/// <summary>How a <see cref="SetPredictor"/> decides which classes enter a prediction set.</summary>
public enum SetRule
{
    /// <summary>The k highest scores (ties by lower class index): every set has exactly k classes.</summary>
    TopK,
    /// <summary>Classes whose softmax probability reaches one global threshold, fitted so the mean set size is K (Lorieul et al.; Chzhen et al. 2021).</summary>
    AverageK,
    /// <summary>Split-conformal sets with the adaptive prediction sets score (Romano, Sesia, Candès 2020).</summary>
    Aps,
    /// <summary>Split-conformal sets with the regularized APS score (Angelopoulos, Bates, Malik, Jordan, ICLR 2021).</summary>
    Raps,
}
