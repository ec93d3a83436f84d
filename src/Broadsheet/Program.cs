using Broadsheet;

var app = await BroadsheetApp.CreateAsync(args);
await app.RunAsync();
