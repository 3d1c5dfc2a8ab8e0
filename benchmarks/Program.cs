using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks -- --filter '*'            (all, default job)
// dotnet run -c Release --project benchmarks -- --filter '*' --job short (quick check)
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
