await AdminConsole.ConsoleApp.Build(args).RunAsync();
