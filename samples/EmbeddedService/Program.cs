using EmbeddedService;

await ServiceHost.Build(args).RunAsync();
