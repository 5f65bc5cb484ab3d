using Huddle.Server;

var app = HuddleApp.Build(args);
await app.RunAsync();
