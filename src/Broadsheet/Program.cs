using Broadsheet;

if (Cli.IsCommand(args)) return await Cli.RunAsync(args);

var app = await BroadsheetApp.CreateAsync(args);
await app.RunAsync();
return 0;
