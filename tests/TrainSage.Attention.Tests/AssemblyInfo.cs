// Tests seed libtorch's global generator, and two at once would also fight over the CI machine's 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
