namespace TopKLoss.Tests.Support;

/// <summary>
/// A fact that needs ../shared/testdata/reference beside the repository (the source the reference
/// vectors were copied from). In a plain clone that folder does not exist, and xunit reports the
/// test as skipped with the reason instead of passing it.
/// </summary>
public sealed class FactWhenSharedReferenceAttribute : FactAttribute
{
    public FactWhenSharedReferenceAttribute()
    {
        if (ReferenceData.SharedFolder is null)
            Skip = "../shared/testdata/reference is not beside the repository (a plain clone): no source copy to compare with";
    }
}
