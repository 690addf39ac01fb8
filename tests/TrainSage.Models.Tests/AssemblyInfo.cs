// Tests seed the global generator (torch.manual_seed); running them one at a time keeps each one reproducible.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
