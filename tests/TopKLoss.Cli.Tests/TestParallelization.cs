// Training seeds torch's global generator; tests running in parallel would draw from it concurrently
// and break determinism (resume equality, same seed → same weights). On 2 cores parallelism gains little.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
