<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AssistantBuilder</name>
    <message>
        <source>Replies are shown as text only: connect a speaker and choose it in Settings → Audio.</source>
        <translation>回复仅以文字显示：请连接扬声器，并在“设置 → 音频”中选择它。</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <source>Speak or type your question about it</source>
        <translation>说出或输入关于它的问题</translation>
    </message>
    <message>
        <source>Do not ask about this capture</source>
        <translation>不再询问这张截图</translation>
    </message>
    <message>
        <source>Screen attached: {source}, {width}×{height}</source>
        <translation>已附加屏幕：{source}，{width}×{height}</translation>
    </message>
</context>
<context>
    <name>Capture</name>
    <message>
        <source>screen</source>
        <translation>屏幕</translation>
    </message>
    <message>
        <source>all screens</source>
        <translation>所有屏幕</translation>
    </message>
    <message>
        <source>region</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>file</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>{kind}: {name}</source>
        <translation>{kind}：{name}</translation>
    </message>
</context>
<context>
    <name>CodeBlock</name>
    <message>
        <source>Copy the code</source>
        <translation>复制代码</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Code: {language}</source>
        <translation>代码：{language}</translation>
    </message>
</context>
<context>
    <name>ConversationHistory</name>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
</context>
<context>
    <name>ConversationView</name>
    <message>
        <source>Ask anything: type below, click the microphone, or press the hotkey.</source>
        <translation>尽管提问：在下方输入、点击麦克风，或按下快捷键。</translation>
    </message>
</context>
<context>
    <name>CopyButton</name>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
</context>
<context>
    <name>CoreMessages</name>
    <message>
        <source>converting {name} for the CPU runtime (first start only, about a minute)</source>
        <translation>正在为 CPU 运行时转换 {name}（仅首次启动，约一分钟）</translation>
    </message>
    <message>
        <source>loading {name} on {device} ({dtype})</source>
        <translation>正在 {device} 上加载 {name}（{dtype}）</translation>
    </message>
    <message>
        <source>connecting to the local server at {url}</source>
        <translation>正在连接本地服务器 {url}</translation>
    </message>
    <message>
        <source>converting {name} for transformers (first start only, about a minute)</source>
        <translation>正在为 transformers 转换 {name}（仅首次启动，约一分钟）</translation>
    </message>
    <message>
        <source>quantizing the language model to int8 for the CPU</source>
        <translation>正在为 CPU 将语言模型量化为 int8</translation>
    </message>
    <message>
        <source>loading the text recognizer (RapidOCR)</source>
        <translation>正在加载文字识别器（RapidOCR）</translation>
    </message>
    <message>
        <source>downloading {name}</source>
        <translation>正在下载 {name}</translation>
    </message>
    <message>
        <source>joining the offline model {name}</source>
        <translation>正在合并离线模型 {name}</translation>
    </message>
    <message>
        <source>loading voice {name}</source>
        <translation>正在加载语音 {name}</translation>
    </message>
</context>
<context>
    <name>DesktopApp</name>
    <message>
        <source>Using the default settings until it is fixed (your file is left as it is).</source>
        <translation>在修正之前将使用默认设置（您的文件保持不变）。</translation>
    </message>
    <message>
        <source>Preparing models…</source>
        <translation>正在准备模型…</translation>
    </message>
    <message>
        <source>No language model: open Settings to choose one.</source>
        <translation>没有语言模型：请打开“设置”选择一个。</translation>
    </message>
    <message>
        <source>Unavailable</source>
        <translation>不可用</translation>
    </message>
    <message>
        <source>Memory comes with the assistant: choose a language model in Settings → Models.</source>
        <translation>记忆随助手一同提供：请在“设置 → 模型”中选择语言模型。</translation>
    </message>
    <message>
        <source>The language model is still loading.</source>
        <translation>语言模型仍在加载。</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <source>{title}: {body}</source>
        <translation>{title}：{body}</translation>
    </message>
</context>
<context>
    <name>ErrorCatalog</name>
    <message>
        <source>A setting has a value outside its allowed range or choices.</source>
        <translation>某项设置的值超出了允许的范围或选项。</translation>
    </message>
    <message>
        <source>The settings file is not valid TOML.</source>
        <translation>设置文件不是有效的 TOML。</translation>
    </message>
    <message>
        <source>The settings file or the environment names a setting that does not exist.</source>
        <translation>设置文件或环境变量中指定了不存在的设置项。</translation>
    </message>
    <message>
        <source>The settings file cannot be read.</source>
        <translation>无法读取设置文件。</translation>
    </message>
    <message>
        <source>An installed library fails to import or run: reinstall it.</source>
        <translation>某个已安装的库无法导入或运行：请重新安装它。</translation>
    </message>
    <message>
        <source>The speech recognition backend needs a package that is not installed.</source>
        <translation>语音识别后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The language model backend needs a package that is not installed.</source>
        <translation>语言模型后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The voice backend needs a package that is not installed.</source>
        <translation>语音合成后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The voice activity detection backend needs a package that is not installed.</source>
        <translation>语音活动检测后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The vision model backend needs a package that is not installed.</source>
        <translation>视觉模型后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The text recognizer backend needs a package that is not installed.</source>
        <translation>文字识别后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The cloud backend needs a package that is not installed.</source>
        <translation>云端后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The wake-word backend needs a package that is not installed.</source>
        <translation>唤醒词后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The echo canceller backend needs a package that is not installed.</source>
        <translation>回声消除后端需要一个尚未安装的软件包。</translation>
    </message>
    <message>
        <source>The audio library (sounddevice / PortAudio) is not installed.</source>
        <translation>未安装音频库（sounddevice / PortAudio）。</translation>
    </message>
    <message>
        <source>assistant bench --plot needs matplotlib.</source>
        <translation>assistant bench --plot 需要 matplotlib。</translation>
    </message>
    <message>
        <source>The audio holds no samples.</source>
        <translation>音频中没有任何采样。</translation>
    </message>
    <message>
        <source>The audio file holds no samples.</source>
        <translation>音频文件中没有任何采样。</translation>
    </message>
    <message>
        <source>The audio file cannot be decoded.</source>
        <translation>无法解码音频文件。</translation>
    </message>
    <message>
        <source>The audio file does not exist.</source>
        <translation>音频文件不存在。</translation>
    </message>
    <message>
        <source>The audio is longer than one question may be.</source>
        <translation>音频长度超出了单个问题的上限。</translation>
    </message>
    <message>
        <source>The question is empty.</source>
        <translation>问题为空。</translation>
    </message>
    <message>
        <source>There is no text to speak.</source>
        <translation>没有可朗读的文字。</translation>
    </message>
    <message>
        <source>The reply has nothing that can be spoken.</source>
        <translation>回复中没有可以朗读的内容。</translation>
    </message>
    <message>
        <source>The question is longer than the model can take.</source>
        <translation>问题太长，超出了模型能处理的长度。</translation>
    </message>
    <message>
        <source>The image file does not exist.</source>
        <translation>图像文件不存在。</translation>
    </message>
    <message>
        <source>The image file cannot be decoded.</source>
        <translation>无法解码图像文件。</translation>
    </message>
    <message>
        <source>The audio held no speech: nothing was sent to the language model.</source>
        <translation>音频中没有语音：未向语言模型发送任何内容。</translation>
    </message>
    <message>
        <source>The audio system (PortAudio) cannot be used.</source>
        <translation>无法使用音频系统（PortAudio）。</translation>
    </message>
    <message>
        <source>An audio device cannot be opened.</source>
        <translation>无法打开音频设备。</translation>
    </message>
    <message>
        <source>No microphone was found.</source>
        <translation>未找到麦克风。</translation>
    </message>
    <message>
        <source>No usable speaker was found.</source>
        <translation>未找到可用的扬声器。</translation>
    </message>
    <message>
        <source>No microphone has the configured name or number.</source>
        <translation>没有与所配置名称或编号相符的麦克风。</translation>
    </message>
    <message>
        <source>No speaker has the configured name or number.</source>
        <translation>没有与所配置名称或编号相符的扬声器。</translation>
    </message>
    <message>
        <source>The microphone failed while recording.</source>
        <translation>麦克风在录音时出错。</translation>
    </message>
    <message>
        <source>The microphone went away; listening resumes when it is back.</source>
        <translation>麦克风已断开；重新连接后将恢复聆听。</translation>
    </message>
    <message>
        <source>The speaker went away mid-reply; the next reply plays when it is back.</source>
        <translation>扬声器在回复途中断开；重新连接后将播放下一条回复。</translation>
    </message>
    <message>
        <source>The speaker failed while playing.</source>
        <translation>扬声器在播放时出错。</translation>
    </message>
    <message>
        <source>Listening stopped because of an unexpected failure.</source>
        <translation>由于意外故障，聆听已停止。</translation>
    </message>
    <message>
        <source>The user cancelled the desktop&apos;s screenshot prompt.</source>
        <translation>用户取消了桌面的截图提示。</translation>
    </message>
    <message>
        <source>Taking the screenshot failed.</source>
        <translation>截图失败。</translation>
    </message>
    <message>
        <source>No way to capture the screen works in this session.</source>
        <translation>在当前会话中没有可用的截屏方式。</translation>
    </message>
    <message>
        <source>There is no active window to capture.</source>
        <translation>没有可截取的活动窗口。</translation>
    </message>
    <message>
        <source>There is no display to capture.</source>
        <translation>没有可截取的显示器。</translation>
    </message>
    <message>
        <source>No model can read a screen image (no vision model, no text recognizer).</source>
        <translation>没有能读取屏幕图像的模型（既无视觉模型，也无文字识别器）。</translation>
    </message>
    <message>
        <source>Nothing is set up to read the screen.</source>
        <translation>尚未设置读取屏幕的方式。</translation>
    </message>
    <message>
        <source>The selected region has no area.</source>
        <translation>所选区域的面积为零。</translation>
    </message>
    <message>
        <source>The selected region lies outside every screen.</source>
        <translation>所选区域不在任何屏幕范围内。</translation>
    </message>
    <message>
        <source>The capture target is not screen, window, all or a region.</source>
        <translation>截取目标不是 screen、window、all 或区域之一。</translation>
    </message>
    <message>
        <source>Screen questions are not available here.</source>
        <translation>此处无法使用屏幕提问。</translation>
    </message>
    <message>
        <source>A model file or folder is not there.</source>
        <translation>模型文件或文件夹不存在。</translation>
    </message>
    <message>
        <source>A model file is incomplete or damaged.</source>
        <translation>模型文件不完整或已损坏。</translation>
    </message>
    <message>
        <source>Downloading a model failed.</source>
        <translation>下载模型失败。</translation>
    </message>
    <message>
        <source>A model failed to load.</source>
        <translation>模型加载失败。</translation>
    </message>
    <message>
        <source>Speech recognition failed on this audio.</source>
        <translation>对此音频的语音识别失败。</translation>
    </message>
    <message>
        <source>The language model failed while answering.</source>
        <translation>语言模型在回答时出错。</translation>
    </message>
    <message>
        <source>The language model has no chat template.</source>
        <translation>语言模型没有对话模板。</translation>
    </message>
    <message>
        <source>The language model ran out of memory.</source>
        <translation>语言模型内存不足。</translation>
    </message>
    <message>
        <source>The language model took too long to answer.</source>
        <translation>语言模型回答耗时过长。</translation>
    </message>
    <message>
        <source>No language model can be used.</source>
        <translation>没有可用的语言模型。</translation>
    </message>
    <message>
        <source>A local model server (Ollama, LM Studio, llama.cpp, vLLM) does not answer.</source>
        <translation>本地模型服务器（Ollama、LM Studio、llama.cpp、vLLM）没有响应。</translation>
    </message>
    <message>
        <source>The local model server has no model of that name.</source>
        <translation>本地模型服务器上没有该名称的模型。</translation>
    </message>
    <message>
        <source>What answered at the local server&apos;s address is not a chat server.</source>
        <translation>本地服务器地址上响应的不是对话服务器。</translation>
    </message>
    <message>
        <source>The local model server failed while answering.</source>
        <translation>本地模型服务器在回答时出错。</translation>
    </message>
    <message>
        <source>The local model server took too long to answer.</source>
        <translation>本地模型服务器回答耗时过长。</translation>
    </message>
    <message>
        <source>The local model server&apos;s answer broke off mid-way.</source>
        <translation>本地模型服务器的回答中途中断。</translation>
    </message>
    <message>
        <source>The local model server kept streaming past the answer&apos;s length limit.</source>
        <translation>本地模型服务器的输出超出了回答的长度上限仍未停止。</translation>
    </message>
    <message>
        <source>The voice failed to speak.</source>
        <translation>语音合成失败。</translation>
    </message>
    <message>
        <source>No voice can be used: replies are shown as text only.</source>
        <translation>没有可用的语音：回复仅以文字显示。</translation>
    </message>
    <message>
        <source>The vision model failed on this image.</source>
        <translation>视觉模型处理此图像时出错。</translation>
    </message>
    <message>
        <source>The configured vision model does not take images.</source>
        <translation>所配置的视觉模型不接受图像。</translation>
    </message>
    <message>
        <source>Reading the screen&apos;s text failed.</source>
        <translation>读取屏幕文字失败。</translation>
    </message>
    <message>
        <source>The text recognizer failed to load.</source>
        <translation>文字识别器加载失败。</translation>
    </message>
    <message>
        <source>The wake-word model lacks the files it needs beside it.</source>
        <translation>唤醒词模型旁缺少所需的文件。</translation>
    </message>
    <message>
        <source>The cloud endpoint refused the API key.</source>
        <translation>云端端点拒绝了 API 密钥。</translation>
    </message>
    <message>
        <source>The cloud endpoint could not use the audio.</source>
        <translation>云端端点无法使用该音频。</translation>
    </message>
    <message>
        <source>The cloud endpoint refused the request.</source>
        <translation>云端端点拒绝了请求。</translation>
    </message>
    <message>
        <source>The cloud endpoint failed.</source>
        <translation>云端端点出错。</translation>
    </message>
    <message>
        <source>The API key may not use this model or endpoint.</source>
        <translation>该 API 密钥无权使用此模型或端点。</translation>
    </message>
    <message>
        <source>The cloud endpoint has no such model.</source>
        <translation>云端端点没有此模型。</translation>
    </message>
    <message>
        <source>The cloud endpoint&apos;s rate limit or quota was reached.</source>
        <translation>已达到云端端点的速率限制或配额。</translation>
    </message>
    <message>
        <source>The cloud endpoint had an internal error.</source>
        <translation>云端端点发生内部错误。</translation>
    </message>
    <message>
        <source>The cloud reply stopped in the middle.</source>
        <translation>云端回复中途停止。</translation>
    </message>
    <message>
        <source>The cloud endpoint did not answer in time.</source>
        <translation>云端端点未能及时响应。</translation>
    </message>
    <message>
        <source>The cloud endpoint cannot be reached.</source>
        <translation>无法连接到云端端点。</translation>
    </message>
    <message>
        <source>The history database cannot be used; the assistant works without it.</source>
        <translation>无法使用历史数据库；助手将在没有它的情况下工作。</translation>
    </message>
    <message>
        <source>A tool call names a tool that does not exist (a model&apos;s mistake).</source>
        <translation>工具调用指定了不存在的工具（模型的错误）。</translation>
    </message>
    <message>
        <source>A tool that reaches the network was called under the local-only policy without the user allowing it.</source>
        <translation>在“仅本地”策略下，未经用户允许调用了需要联网的工具。</translation>
    </message>
    <message>
        <source>A tool call&apos;s arguments do not fit the tool&apos;s schema.</source>
        <translation>工具调用的参数不符合该工具的格式。</translation>
    </message>
    <message>
        <source>A tool failed unexpectedly while running.</source>
        <translation>工具在运行时意外出错。</translation>
    </message>
    <message>
        <source>No time zone is known for the place asked about.</source>
        <translation>不知道所问地点的时区。</translation>
    </message>
    <message>
        <source>An arithmetic request has no answer (division by zero, not a number).</source>
        <translation>该算术请求没有答案（除以零，或不是数字）。</translation>
    </message>
    <message>
        <source>A unit to convert from or to is not known.</source>
        <translation>要换算的原单位或目标单位未知。</translation>
    </message>
    <message>
        <source>The two units measure different things (a weight into a length).</source>
        <translation>两个单位度量的不是同一种量（例如把重量换算成长度）。</translation>
    </message>
    <message>
        <source>A file or folder to open does not exist.</source>
        <translation>要打开的文件或文件夹不存在。</translation>
    </message>
    <message>
        <source>A link to open is not a web link.</source>
        <translation>要打开的链接不是网页链接。</translation>
    </message>
    <message>
        <source>No installed application has the name asked for.</source>
        <translation>没有已安装的应用叫这个名字。</translation>
    </message>
    <message>
        <source>A link, file, folder or app could not be opened (no opener installed, or it failed).</source>
        <translation>无法打开链接、文件、文件夹或应用（未安装打开它的程序，或打开失败）。</translation>
    </message>
    <message>
        <source>There is no clipboard to read or set here (no desktop session, or no clipboard tool installed).</source>
        <translation>此处没有可读写的剪贴板（没有桌面会话，或未安装剪贴板工具）。</translation>
    </message>
    <message>
        <source>The timers file cannot be used (damaged, locked by another program, or from a newer version); it is left as it is and the assistant works without timers.</source>
        <translation>无法使用计时器文件（已损坏、被其他程序锁定，或来自更新的版本）；文件保持不变，助手将在没有计时器的情况下工作。</translation>
    </message>
    <message>
        <source>The time of an alarm or reminder could not be understood.</source>
        <translation>无法理解闹钟或提醒的时间。</translation>
    </message>
    <message>
        <source>The time of an alarm or reminder has already passed.</source>
        <translation>闹钟或提醒的时间已经过去。</translation>
    </message>
    <message>
        <source>A timer&apos;s duration, or how far ahead an alarm is, is out of range.</source>
        <translation>计时器的时长或闹钟的提前量超出了范围。</translation>
    </message>
    <message>
        <source>There is no such pending timer, alarm or reminder.</source>
        <translation>没有这个待执行的计时器、闹钟或提醒。</translation>
    </message>
    <message>
        <source>Several timers, alarms or reminders fit: the user is asked which.</source>
        <translation>有多个计时器、闹钟或提醒符合：会询问用户是哪一个。</translation>
    </message>
    <message>
        <source>The assistant was shut down (the app is quitting or rebuilding it).</source>
        <translation>助手已关闭（应用正在退出或重建助手）。</translation>
    </message>
    <message>
        <source>The microphone is muted from the tray.</source>
        <translation>麦克风已在托盘中静音。</translation>
    </message>
    <message>
        <source>Speech recognition is still loading or not available.</source>
        <translation>语音识别仍在加载或不可用。</translation>
    </message>
    <message>
        <source>assistant bench found no clips to run.</source>
        <translation>assistant bench 没有找到可运行的音频片段。</translation>
    </message>
    <message>
        <source>assistant bench --compare has a malformed setting.</source>
        <translation>assistant bench --compare 中有格式错误的设置。</translation>
    </message>
    <message>
        <source>assistant eval found no question set, or no questions in it.</source>
        <translation>assistant eval 没有找到问题集，或问题集中没有问题。</translation>
    </message>
    <message>
        <source>A line of the question set is not a valid question.</source>
        <translation>问题集中有一行不是有效的问题。</translation>
    </message>
    <message>
        <source>assistant eval --category names a category the set does not have.</source>
        <translation>assistant eval --category 指定了问题集中不存在的类别。</translation>
    </message>
    <message>
        <source>The folder for an output file does not exist.</source>
        <translation>输出文件所在的文件夹不存在。</translation>
    </message>
    <message>
        <source>An output file cannot be written.</source>
        <translation>无法写入输出文件。</translation>
    </message>
    <message>
        <source>mcp.json, or one server in it, cannot be used; the other servers still start.</source>
        <translation>无法使用 mcp.json 或其中的某个服务器；其他服务器仍会启动。</translation>
    </message>
    <message>
        <source>An MCP server did not start (no such command, it exited, or it did not answer in time); its tools are left out.</source>
        <translation>MCP 服务器未能启动（命令不存在、已退出或未及时响应）；其工具将不可用。</translation>
    </message>
    <message>
        <source>An MCP server stopped during a call; its tools are left out until the assistant restarts.</source>
        <translation>MCP 服务器在调用过程中停止；在助手重新启动之前，其工具将不可用。</translation>
    </message>
    <message>
        <source>An MCP server&apos;s tool reported an error or refused the call.</source>
        <translation>MCP 服务器的工具报告了错误或拒绝了调用。</translation>
    </message>
    <message>
        <source>An MCP server did not answer a call in time.</source>
        <translation>MCP 服务器未能及时响应调用。</translation>
    </message>
    <message>
        <source>An MCP tool call was stopped because the turn was interrupted.</source>
        <translation>由于本轮对话被打断，MCP 工具调用已停止。</translation>
    </message>
    <message>
        <source>The memory&apos;s database cannot be used (damaged, locked, newer); the assistant answers without memory and leaves the file as it is.</source>
        <translation>无法使用记忆数据库（已损坏、被锁定或版本更新）；助手将在没有记忆的情况下回答，文件保持不变。</translation>
    </message>
    <message>
        <source>Memory is switched off (memory.enabled): nothing is kept or recalled.</source>
        <translation>记忆已关闭（memory.enabled）：不会保存或回忆任何内容。</translation>
    </message>
    <message>
        <source>A fact holds a secret (a password, card number, key): it is not kept.</source>
        <translation>该事实包含机密信息（密码、卡号、密钥）：不会保存。</translation>
    </message>
    <message>
        <source>There was nothing to remember in the request.</source>
        <translation>请求中没有需要记住的内容。</translation>
    </message>
    <message>
        <source>A command that deletes a lot was not confirmed (add --yes).</source>
        <translation>会删除大量内容的命令未经确认（请加上 --yes）。</translation>
    </message>
    <message>
        <source>No remembered fact has that id (it may have been deleted).</source>
        <translation>没有该 ID 的已记住事实（它可能已被删除）。</translation>
    </message>
    <message>
        <source>The memory&apos;s embedding model or library is missing: facts and past conversations are found by their words only.</source>
        <translation>缺少记忆的嵌入模型或库：只能按字面查找事实和过往对话。</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>Reconnect it, then test again.</source>
        <translation>请重新连接它，然后再测试一次。</translation>
    </message>
    <message>
        <source>Connect speakers or headphones, or choose another speaker, then test again.</source>
        <translation>请连接扬声器或耳机，或选择其他扬声器，然后再测试一次。</translation>
    </message>
    <message>
        <source>Another program may be using it: close that program, or choose another speaker, then test again.</source>
        <translation>可能有其他程序正在使用它：请关闭该程序，或选择其他扬声器，然后再测试一次。</translation>
    </message>
    <message>
        <source>First-time setup</source>
        <translation>首次设置</translation>
    </message>
    <message>
        <source>S&amp;kip setup</source>
        <translation>跳过设置(&amp;K)</translation>
    </message>
    <message>
        <source>Keep the current settings; run the setup again any time from Settings → Interface</source>
        <translation>保留当前设置；之后可随时在“设置 → 界面”中重新运行设置</translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation>上一步(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Next</source>
        <translation>下一步(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Finish</source>
        <translation>完成(&amp;F)</translation>
    </message>
    <message>
        <source>Your microphone</source>
        <translation>您的麦克风</translation>
    </message>
    <message>
        <source>Welcome! A few quick choices and the assistant is ready; skip any of them, and change them later in Settings. First, the microphone it listens to: choose it, then say something to check it hears you.</source>
        <translation>欢迎！只需几个简单的选择，助手就可以使用了；每一项都可以跳过，之后也可以在“设置”中更改。首先是助手聆听的麦克风：选择它，然后说几句话，检查它能否听到您。</translation>
    </message>
    <message>
        <source>&amp;Microphone:</source>
        <translation>麦克风(&amp;M)：</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>麦克风</translation>
    </message>
    <message>
        <source>Microphone level</source>
        <translation>麦克风音量</translation>
    </message>
    <message>
        <source>Level:</source>
        <translation>音量：</translation>
    </message>
    <message>
        <source>&amp;Say something</source>
        <translation>说几句话(&amp;S)</translation>
    </message>
    <message>
        <source>Records {seconds:.0f} seconds and says whether you were heard</source>
        <translation>录音 {seconds:.0f} 秒，并告诉您是否听到了您的声音</translation>
    </message>
    <message>
        <source>Test the microphone: say something</source>
        <translation>测试麦克风：说几句话</translation>
    </message>
    <message>
        <source>Microphone test result</source>
        <translation>麦克风测试结果</translation>
    </message>
    <message>
        <source>Your speaker</source>
        <translation>您的扬声器</translation>
    </message>
    <message>
        <source>Where the assistant&apos;s voice plays. Choose it, then play a short chime to check you hear it.</source>
        <translation>助手的声音从这里播放。选择它，然后播放一段简短的提示音，检查您能否听到。</translation>
    </message>
    <message>
        <source>S&amp;peaker:</source>
        <translation>扬声器(&amp;P)：</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>扬声器</translation>
    </message>
    <message>
        <source>Play a &amp;test sound</source>
        <translation>播放测试音(&amp;T)</translation>
    </message>
    <message>
        <source>Test the speaker: play a chime</source>
        <translation>测试扬声器：播放提示音</translation>
    </message>
    <message>
        <source>Speaker test result</source>
        <translation>扬声器测试结果</translation>
    </message>
    <message>
        <source>The launcher hotkey</source>
        <translation>启动器快捷键</translation>
    </message>
    <message>
        <source>Press it anywhere to open the launcher: a small box to type or say a question in, over whatever you are doing. Press it again, or Escape, to put it away.</source>
        <translation>在任何地方按下它即可打开启动器：一个浮在当前窗口之上的小输入框，可以输入或说出问题。再按一次或按 Esc 即可关闭。</translation>
    </message>
    <message>
        <source>Launcher hotkey</source>
        <translation>启动器快捷键</translation>
    </message>
    <message>
        <source>&amp;Record…</source>
        <translation>录制(&amp;R)…</translation>
    </message>
    <message>
        <source>Record the launcher hotkey</source>
        <translation>录制启动器快捷键</translation>
    </message>
    <message>
        <source>&amp;Hotkey:</source>
        <translation>快捷键(&amp;H)：</translation>
    </message>
    <message>
        <source>Push to talk, the screen and the mute hotkeys are in Settings → Hotkeys.</source>
        <translation>按住说话、屏幕和静音快捷键位于“设置 → 快捷键”。</translation>
    </message>
    <message>
        <source>Always listening</source>
        <translation>始终聆听</translation>
    </message>
    <message>
        <source>The assistant can listen all the time for its wake phrase, or only when you ask it to.</source>
        <translation>助手可以一直聆听唤醒词，也可以只在您要求时才聆听。</translation>
    </message>
    <message>
        <source>&amp;Only when I ask: the launcher hotkey, the microphone button, or push to talk</source>
        <translation>仅在我要求时(&amp;O)：启动器快捷键、麦克风按钮或按住说话</translation>
    </message>
    <message>
        <source>&amp;Always listening for “{phrase}”</source>
        <translation>始终聆听“{phrase}”(&amp;A)</translation>
    </message>
    <message>
        <source>Always listening answers only what starts with “{phrase}” (or comes just after a reply); the phrase is in Settings → Listening. Switch it on or off any time from the tray menu.</source>
        <translation>始终聆听时，只回答以“{phrase}”开头的话（或紧接在回复之后的话）；唤醒词位于“设置 → 聆听”。可随时在托盘菜单中开启或关闭。</translation>
    </message>
    <message>
        <source>Privacy</source>
        <translation>隐私</translation>
    </message>
    <message>
        <source>The assistant runs on this computer: what you say, what you type and its answers stay here, unless you allow a cloud model.</source>
        <translation>助手在这台电脑上运行：您说的话、输入的内容以及它的回答都留在这里，除非您允许使用云端模型。</translation>
    </message>
    <message>
        <source>&amp;Local only (nothing leaves this computer)</source>
        <translation>仅本地(&amp;L)（任何内容都不会离开这台电脑）</translation>
    </message>
    <message>
        <source>Allow a &amp;cloud model as a fallback, when the local one is slow or missing</source>
        <translation>允许在本地模型较慢或缺失时使用云端模型作为后备(&amp;C)</translation>
    </message>
    <message>
        <source>You can allow a cloud model later in Settings → Cloud &amp; privacy.</source>
        <translation>您可以稍后在“设置 → 云端与隐私”中允许使用云端模型。</translation>
    </message>
    <message>
        <source>The cloud model {model} at {url} is used then; its endpoint and API key are in Settings → Cloud &amp; privacy.</source>
        <translation>届时将使用位于 {url} 的云端模型 {model}；其端点和 API 密钥位于“设置 → 云端与隐私”。</translation>
    </message>
    <message>
        <source>After Finish, Settings opens on Cloud &amp; privacy: enter the cloud endpoint and its API key there. Until then, nothing leaves this computer.</source>
        <translation>点击“完成”后，“设置”将打开“云端与隐私”页面：请在那里输入云端端点及其 API 密钥。在此之前，任何内容都不会离开这台电脑。</translation>
    </message>
    <message>
        <source>Step {step} of {steps}</source>
        <translation>第 {step} 步，共 {steps} 步</translation>
    </message>
    <message>
        <source>Listening for {seconds:.0f} seconds: say something…</source>
        <translation>正在聆听 {seconds:.0f} 秒：请说几句话…</translation>
    </message>
    <message>
        <source>Speech was heard: the microphone works.</source>
        <translation>听到了语音：麦克风工作正常。</translation>
    </message>
    <message>
        <source>Something was heard, but faintly: speak closer to the microphone, or raise its input volume in the system&apos;s sound settings.</source>
        <translation>听到了声音，但很微弱：请靠近麦克风说话，或在系统的声音设置中调高其输入音量。</translation>
    </message>
    <message>
        <source>Nothing was heard: check the microphone is not muted (a switch on it, a key on the keyboard, or the system&apos;s sound settings) and that it is the one you speak into.</source>
        <translation>什么也没听到：请检查麦克风没有被静音（麦克风上的开关、键盘上的按键或系统的声音设置），并确认它就是您对着说话的那个。</translation>
    </message>
    <message>
        <source>Playing a chime…</source>
        <translation>正在播放提示音…</translation>
    </message>
    <message>
        <source>A chime was played on {device}. Heard nothing? Check the volume, and that this is the speaker you listen to.</source>
        <translation>已在 {device} 上播放提示音。什么也没听到？请检查音量，并确认这就是您在听的扬声器。</translation>
    </message>
    <message>
        <source>No microphone is listed: {problem}</source>
        <translation>没有列出任何麦克风：{problem}</translation>
    </message>
    <message>
        <source>No speaker is listed: {problem}</source>
        <translation>没有列出任何扬声器：{problem}</translation>
    </message>
    <message>
        <source>none found</source>
        <translation>未找到</translation>
    </message>
</context>
<context>
    <name>GlobalHotkeys</name>
    <message>
        <source>Bind the command `assistant toggle` to a key in your desktop&apos;s keyboard settings (GNOME: Settings → Keyboard → Custom Shortcuts; KDE: System Settings → Shortcuts → Custom Shortcuts).</source>
        <translation>请在桌面的键盘设置中为命令 `assistant toggle` 绑定一个按键（GNOME：设置 → 键盘 → 自定义快捷键；KDE：系统设置 → 快捷键 → 自定义快捷键）。</translation>
    </message>
    <message>
        <source>Global hotkeys cannot be grabbed on Wayland. {help}</source>
        <translation>Wayland 下无法注册全局快捷键。{help}</translation>
    </message>
    <message>
        <source>No X display, so no global hotkeys. {help}</source>
        <translation>没有 X 显示服务，因此无法使用全局快捷键。{help}</translation>
    </message>
    <message>
        <source>Global hotkeys are unavailable ({reason}). {help}</source>
        <translation>全局快捷键不可用（{reason}）。{help}</translation>
    </message>
    <message>
        <source>Global hotkeys could not start ({reason}). {help}</source>
        <translation>全局快捷键无法启动（{reason}）。{help}</translation>
    </message>
</context>
<context>
    <name>HistoryPanel</name>
    <message>
        <source>Search conversations</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>%d %b %H:%M</source>
        <extracomment>a strftime format: the date and time a conversation was last continued</extracomment>
        <translation>%m月%d日 %H:%M</translation>
    </message>
    <message>
        <source>{n} turn</source>
        <translation>{n} 轮</translation>
    </message>
    <message>
        <source>{n} turns</source>
        <translation>{n} 轮</translation>
    </message>
    <message>
        <source>No match.</source>
        <translation>没有匹配项。</translation>
    </message>
    <message>
        <source>No conversations yet.</source>
        <translation>还没有对话。</translation>
    </message>
    <message>
        <source>Export failed: {reason}</source>
        <translation>导出失败：{reason}</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <source>Delete this conversation for good?</source>
        <translation>要永久删除此对话吗？</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown 文件 (*.md)</translation>
    </message>
</context>
<context>
    <name>Indicators</name>
    <message>
        <source>speech recognition</source>
        <translation>语音识别</translation>
    </message>
    <message>
        <source>language model</source>
        <translation>语言模型</translation>
    </message>
    <message>
        <source>voice</source>
        <translation>语音合成</translation>
    </message>
    <message>
        <source>text recognizer</source>
        <translation>文字识别器</translation>
    </message>
    <message>
        <source>vision model</source>
        <translation>视觉模型</translation>
    </message>
    <message>
        <source>Loading the {models}…</source>
        <translation>正在加载{models}…</translation>
    </message>
    <message>
        <source>Microphone lost: reconnecting…</source>
        <translation>麦克风已断开：正在重新连接…</translation>
    </message>
    <message>
        <source>Waiting for speech recognition…</source>
        <translation>正在等待语音识别…</translation>
    </message>
    <message>
        <source>Opening the microphone…</source>
        <translation>正在打开麦克风…</translation>
    </message>
    <message>
        <source>Ready · models on {device}</source>
        <translation>就绪 · 模型运行于 {device}</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>, or talk over the reply to interrupt it</source>
        <translation>，或在回复时直接说话打断它</translation>
    </message>
</context>
<context>
    <name>LauncherWindow</name>
    <message>
        <source>Esc to close</source>
        <translation>按 Esc 关闭</translation>
    </message>
    <message>
        <source>Voice Assistant launcher</source>
        <translation>语音助手启动器</translation>
    </message>
    <message>
        <source>Speak, or type and press Enter</source>
        <translation>请说话，或输入后按回车</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Screen</source>
        <translation>屏幕</translation>
    </message>
    <message>
        <source>Ask about what is on the screen (it is captured now)</source>
        <translation>询问屏幕上的内容（立即截取屏幕）</translation>
    </message>
    <message>
        <source>Region</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Drag over a part of the screen to ask about it</source>
        <translation>拖选屏幕的一部分来询问它</translation>
    </message>
    <message>
        <source>📷 Captured {source} ({width}×{height})</source>
        <translation>📷 已截取{source}（{width}×{height}）</translation>
    </message>
    <message>
        <source>No speech heard: try again, a little closer to the microphone.</source>
        <translation>没有听到语音：请靠近麦克风一些再试一次。</translation>
    </message>
</context>
<context>
    <name>LevelMeter</name>
    <message>
        <source>Microphone level</source>
        <translation>麦克风音量</translation>
    </message>
</context>
<context>
    <name>ListenTexts</name>
    <message>
        <source>Listening</source>
        <translation>聆听中</translation>
    </message>
    <message>
        <source>Listening for your question</source>
        <translation>正在聆听您的问题</translation>
    </message>
    <message>
        <source>Opening the microphone…</source>
        <translation>正在打开麦克风…</translation>
    </message>
    <message>
        <source>Always listening: {detail}</source>
        <translation>持续聆听：{detail}</translation>
    </message>
    <message>
        <source>Say “{phrase}”</source>
        <translation>请说“{phrase}”</translation>
    </message>
    <message>
        <source>Always listening: say “{phrase}” and your question</source>
        <translation>持续聆听：请说“{phrase}”，然后说出您的问题</translation>
    </message>
    <message>
        <source>Ask now…</source>
        <translation>请提问…</translation>
    </message>
    <message>
        <source>Listening: ask your question (no need to say “{phrase}”)</source>
        <translation>聆听中：请直接提问（无需说“{phrase}”）</translation>
    </message>
    <message>
        <source>Muted</source>
        <translation>已静音</translation>
    </message>
    <message>
        <source>Microphone muted</source>
        <translation>麦克风已静音</translation>
    </message>
    <message>
        <source>Mic off</source>
        <translation>麦克风关闭</translation>
    </message>
    <message>
        <source>Microphone off</source>
        <translation>麦克风已关闭</translation>
    </message>
</context>
<context>
    <name>ListeningModes</name>
    <message>
        <source>The microphone is muted: unmute it from the tray menu.</source>
        <translation>麦克风已静音：请从托盘菜单取消静音。</translation>
    </message>
    <message>
        <source>Speech recognition is not ready yet (or not available): type your question meanwhile.</source>
        <translation>语音识别尚未就绪（或不可用）：请先输入您的问题。</translation>
    </message>
    <message>
        <source>Always listening is off</source>
        <translation>持续聆听已关闭</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>No speech heard</source>
        <translation>没有听到语音</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Voice Assistant</source>
        <translation>语音助手</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>记忆</translation>
    </message>
    <message>
        <source>What the assistant remembers about you</source>
        <translation>助手记住的关于您的事</translation>
    </message>
    <message>
        <source>Show or hide what the assistant remembers</source>
        <translation>显示或隐藏助手记住的内容</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Type a question and press Enter</source>
        <translation>输入问题后按回车</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>停止回答（Esc）</translation>
    </message>
    <message>
        <source>The language model is loading…</source>
        <translation>语言模型正在加载…</translation>
    </message>
    <message>
        <source>📷 Captured {source} ({width}×{height})</source>
        <translation>📷 已截取{source}（{width}×{height}）</translation>
    </message>
    <message>
        <source>(nothing heard)</source>
        <translation>（未听到内容）</translation>
    </message>
</context>
<context>
    <name>McpServersEditor</name>
    <message>
        <source>MCP servers</source>
        <translation>MCP 服务器</translation>
    </message>
    <message>
        <source>name, e.g. files</source>
        <translation>名称，例如 files</translation>
    </message>
    <message>
        <source>a command (npx -y @modelcontextprotocol/server-filesystem ~/Documents) or an address (http://127.0.0.1:8000/mcp)</source>
        <translation>启动命令（npx -y @modelcontextprotocol/server-filesystem ~/Documents）或地址（http://127.0.0.1:8000/mcp）</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Kept in {path}. Servers start with the assistant; their tools run only once allowed above (mcp:&lt;name&gt;) under the local-only policy.</source>
        <translation>保存在 {path}。服务器随助手一同启动；在“仅本地”策略下，只有在上方允许（mcp:&lt;name&gt;）后，其工具才会运行。</translation>
    </message>
    <message>
        <source>Fix or remove the file to edit the servers here.</source>
        <translation>请修正或删除该文件，才能在此编辑服务器。</translation>
    </message>
    <message>
        <source>Give the server a name, and the command that starts it or its address.</source>
        <translation>请为服务器填写名称，以及启动它的命令或它的地址。</translation>
    </message>
    <message>
        <source>There is a server named {name} already: remove it first, or choose another name.</source>
        <translation>已有名为 {name} 的服务器：请先移除它，或换一个名称。</translation>
    </message>
    <message>
        <source>The command cannot be read: {reason}.</source>
        <translation>无法解析该命令：{reason}。</translation>
    </message>
    <message>
        <source>{name} is added; Save to keep it.</source>
        <translation>已添加 {name}；保存后生效。</translation>
    </message>
    <message>
        <source>{name} is removed; Save to keep it so.</source>
        <translation>已移除 {name}；保存后生效。</translation>
    </message>
    <message>
        <source>{name}: disabled</source>
        <translation>{name}：已停用</translation>
    </message>
    <message>
        <source>{name}: cannot be used ({reason})</source>
        <translation>{name}：无法使用（{reason}）</translation>
    </message>
    <message>
        <source>No MCP servers yet.</source>
        <translation>还没有 MCP 服务器。</translation>
    </message>
</context>
<context>
    <name>MemoryPanel</name>
    <message>
        <source>Forget every fact and every past conversation? This cannot be undone.</source>
        <translation>要忘记所有事实和所有过往对话吗？此操作无法撤销。</translation>
    </message>
    <message>
        <source>told in a conversation</source>
        <translation>在对话中告知</translation>
    </message>
    <message>
        <source>added on this page or the command line</source>
        <translation>在此页面或命令行中添加</translation>
    </message>
    <message>
        <source>1 fact</source>
        <translation>1 条事实</translation>
    </message>
    <message>
        <source>{n} facts</source>
        <translation>{n} 条事实</translation>
    </message>
    <message>
        <source>Search what it remembers</source>
        <translation>搜索它记住的内容</translation>
    </message>
    <message>
        <source>Search memory</source>
        <translation>搜索记忆</translation>
    </message>
    <message>
        <source>Remembered facts</source>
        <translation>记住的事实</translation>
    </message>
    <message>
        <source>Memory status</source>
        <translation>记忆状态</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Tell it something to remember</source>
        <translation>告诉它要记住的事</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <source>Change the selected fact&apos;s words (Enter)</source>
        <translation>修改所选事实的内容（回车）</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Forget the selected facts (Delete)</source>
        <translation>忘记所选事实（Delete）</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Save every fact to a JSON file</source>
        <translation>将所有事实保存为 JSON 文件</translation>
    </message>
    <message>
        <source>Forget everything…</source>
        <translation>全部忘记…</translation>
    </message>
    <message>
        <source>Delete every fact and every past conversation</source>
        <translation>删除所有事实和所有过往对话</translation>
    </message>
    <message>
        <source>Add a fact</source>
        <translation>添加一条事实</translation>
    </message>
    <message>
        <source>Edit the selected fact</source>
        <translation>编辑所选事实</translation>
    </message>
    <message>
        <source>Delete the selected facts</source>
        <translation>删除所选事实</translation>
    </message>
    <message>
        <source>Export the facts</source>
        <translation>导出事实</translation>
    </message>
    <message>
        <source>Forget every fact and every past conversation</source>
        <translation>忘记所有事实和所有过往对话</translation>
    </message>
    <message>
        <source>Remembered: {fact}</source>
        <translation>已记住：{fact}</translation>
    </message>
    <message>
        <source>Already remembered: {fact}</source>
        <translation>已经记住了：{fact}</translation>
    </message>
    <message>
        <source>Changed to: {fact}</source>
        <translation>已改为：{fact}</translation>
    </message>
    <message>
        <source>Forgot {facts}.</source>
        <translation>已忘记 {facts}。</translation>
    </message>
    <message>
        <source>Export failed: {reason}</source>
        <translation>导出失败：{reason}</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <source>Forgot {facts} and {conversations}.</source>
        <translation>已忘记 {facts}和 {conversations}。</translation>
    </message>
    <message>
        <source>1 past conversation</source>
        <translation>1 个过往对话</translation>
    </message>
    <message>
        <source>{n} past conversations</source>
        <translation>{n} 个过往对话</translation>
    </message>
    <message>
        <source>Add to memory</source>
        <translation>添加到记忆</translation>
    </message>
    <message>
        <source>What should the assistant remember?</source>
        <translation>要让助手记住什么？</translation>
    </message>
    <message>
        <source>Edit fact</source>
        <translation>编辑事实</translation>
    </message>
    <message>
        <source>What it remembers:</source>
        <translation>它记住的内容：</translation>
    </message>
    <message>
        <source>Export memory</source>
        <translation>导出记忆</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON 文件 (*.json)</translation>
    </message>
    <message>
        <source>Forget everything</source>
        <translation>全部忘记</translation>
    </message>
    <message>
        <source>%d %b %Y</source>
        <extracomment>a strftime format: the day a fact was last told</extracomment>
        <translation>%Y年%m月%d日</translation>
    </message>
    <message>
        <source>Memory is loading…</source>
        <translation>记忆正在加载…</translation>
    </message>
    <message>
        <source>The memory database cannot be used.</source>
        <translation>无法使用记忆数据库。</translation>
    </message>
    <message>
        <source>{facts} found, the best first.</source>
        <translation>找到 {facts}，最相关的排在前面。</translation>
    </message>
    <message>
        <source>No match.</source>
        <translation>没有匹配项。</translation>
    </message>
    <message>
        <source>1 thing remembered.</source>
        <translation>记住了 1 件事。</translation>
    </message>
    <message>
        <source>{n} things remembered.</source>
        <translation>记住了 {n} 件事。</translation>
    </message>
    <message>
        <source>Nothing remembered yet: say “remember that …”, or Add…</source>
        <translation>还没有记住任何事：请说“记住……”，或点击“添加…”</translation>
    </message>
    <message>
        <source>Memory is off: nothing new is kept (Settings → Memory).</source>
        <translation>记忆已关闭：不会保存新内容（设置 → 记忆）。</translation>
    </message>
    <message>
        <source>Search finds facts by their words only: {reason}</source>
        <translation>搜索只能按字面查找事实：{reason}</translation>
    </message>
    <message>
        <source>%d %b %Y %H:%M</source>
        <extracomment>a strftime format: when a fact was told</extracomment>
        <translation>%Y年%m月%d日 %H:%M</translation>
    </message>
    <message>
        <source>Kept {when}, {origin}</source>
        <translation>保存于 {when}，{origin}</translation>
    </message>
    <message>
        <source>Changed or told again {when}</source>
        <translation>修改或再次告知于 {when}</translation>
    </message>
    <message>
        <source>From: “{said}”</source>
        <translation>来源：“{said}”</translation>
    </message>
</context>
<context>
    <name>MicButton</name>
    <message>
        <source>Microphone</source>
        <translation>麦克风</translation>
    </message>
    <message>
        <source>Listening: click to stop</source>
        <translation>聆听中：点击停止</translation>
    </message>
    <message>
        <source>Always listening for “{phrase}”: click to ask without it, or hold to talk</source>
        <translation>持续聆听“{phrase}”：点击可直接提问，或按住说话</translation>
    </message>
    <message>
        <source>Listening for your question: just ask (click to ask at once, or hold to talk)</source>
        <translation>正在聆听您的问题：直接提问即可（点击立即提问，或按住说话）</translation>
    </message>
    <message>
        <source>Always listening is starting: click to talk, or hold to talk</source>
        <translation>持续聆听正在启动：点击说话，或按住说话</translation>
    </message>
    <message>
        <source>Muted: unmute from the tray menu or with the mute hotkey</source>
        <translation>已静音：请从托盘菜单或用静音快捷键取消静音</translation>
    </message>
    <message>
        <source>Click to talk, or hold to talk</source>
        <translation>点击说话，或按住说话</translation>
    </message>
</context>
<context>
    <name>Notices</name>
    <message>
        <source>The voice assistant has a problem</source>
        <translation>语音助手出现问题</translation>
    </message>
    <message>
        <source>Microphone lost: reconnecting…</source>
        <translation>麦克风已断开：正在重新连接…</translation>
    </message>
    <message>
        <source>Microphone is back</source>
        <translation>麦克风已恢复</translation>
    </message>
    <message>
        <source>Listening again.</source>
        <translation>已重新开始聆听。</translation>
    </message>
</context>
<context>
    <name>RegionPicker</name>
    <message>
        <source>Select a region to ask about</source>
        <translation>选择要询问的区域</translation>
    </message>
    <message>
        <source>Drag over the part of the screen to ask about · Esc or right click to cancel</source>
        <translation>拖选要询问的屏幕区域 · 按 Esc 或右键取消</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>System default</source>
        <translation>系统默认</translation>
    </message>
    <message>
        <source>Bind the command &lt;b&gt;assistant toggle&lt;/b&gt; in your desktop&apos;s keyboard-shortcut settings instead (GNOME: Settings → Keyboard → Custom Shortcuts; KDE: System Settings → Shortcuts → Custom).</source>
        <translation>请改为在桌面的键盘快捷键设置中绑定命令 &lt;b&gt;assistant toggle&lt;/b&gt;（GNOME：设置 → 键盘 → 自定义快捷键；KDE：系统设置 → 快捷键 → 自定义）。</translation>
    </message>
    <message>
        <source>the key {name} cannot be used in a global hotkey</source>
        <translation>按键 {name} 不能用于全局快捷键</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <source>Voice</source>
        <translation>语音</translation>
    </message>
    <message>
        <source>Listening</source>
        <translation>聆听</translation>
    </message>
    <message>
        <source>Hotkeys</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <source>Interface</source>
        <translation>界面</translation>
    </message>
    <message>
        <source>Screen</source>
        <translation>屏幕</translation>
    </message>
    <message>
        <source>Cloud &amp;&amp; privacy</source>
        <translation>云端与隐私</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>记忆</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <source>Download / prepare</source>
        <translation>下载 / 准备</translation>
    </message>
    <message>
        <source>Join, convert or download the models these settings name, now</source>
        <translation>立即合并、转换或下载这些设置指定的模型</translation>
    </message>
    <message>
        <source>Listing audio devices…</source>
        <translation>正在列出音频设备…</translation>
    </message>
    <message>
        <source>&quot;bundled&quot; or a path to a Piper .onnx voice</source>
        <translation>“bundled”或 Piper .onnx 语音文件的路径</translation>
    </message>
    <message>
        <source>Piper voice</source>
        <translation>Piper 语音</translation>
    </message>
    <message>
        <source>Who speaks which language: {voices}</source>
        <translation>各语言由谁朗读：{voices}</translation>
    </message>
    <message>
        <source>Always listening (switched on from the tray menu) answers only speech that starts with the wake phrase, or comes within the follow-up window after a reply.</source>
        <translation>持续聆听（从托盘菜单开启）只回应以唤醒词开头的语音，或在回复后的追问窗口内说出的语音。</translation>
    </message>
    <message>
        <source>Debug recordings are saved to disk: every utterance heard while listening, wake phrase or not, is written as a WAV file to {folder}. Leave this off unless you are chasing a recognition problem, and delete the folder afterwards.</source>
        <translation>调试录音会保存到磁盘：聆听时听到的每一句话（无论是否包含唤醒词）都会以 WAV 文件写入 {folder}。除非您在排查识别问题，否则请保持关闭，并在排查后删除该文件夹。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Global hotkeys do not work here:&lt;/b&gt; {problem}&lt;br&gt;&lt;br&gt;{help}</source>
        <translation>&lt;b&gt;此处无法使用全局快捷键：&lt;/b&gt;{problem}&lt;br&gt;&lt;br&gt;{help}</translation>
    </message>
    <message>
        <source>The mute hotkey is on the Listening page.</source>
        <translation>静音快捷键位于“聆听”页面。</translation>
    </message>
    <message>
        <source>Syntax: modifiers and named keys in angle brackets, letters bare, joined by &quot;+&quot;, e.g. &lt;ctrl&gt;+&lt;alt&gt;+&lt;space&gt; or &lt;cmd&gt;+&lt;shift&gt;+a.</source>
        <translation>语法：修饰键和具名按键写在尖括号中，字母直接书写，用“+”连接，例如 &lt;ctrl&gt;+&lt;alt&gt;+&lt;space&gt; 或 &lt;cmd&gt;+&lt;shift&gt;+a。</translation>
    </message>
    <message>
        <source>Press the key combination now (Escape cancels)…</source>
        <translation>请现在按下组合键（Esc 取消）…</translation>
    </message>
    <message>
        <source>The language changes the next time the assistant starts.</source>
        <translation>语言将在助手下次启动时更改。</translation>
    </message>
    <message>
        <source>Run the first-time setup again…</source>
        <translation>重新运行首次设置…</translation>
    </message>
    <message>
        <source>Save or cancel your changes first: the setup starts from the saved settings.</source>
        <translation>请先保存或取消您的更改：设置将从已保存的设置开始。</translation>
    </message>
    <message>
        <source>Captures stay in memory for the question they were taken for; they are never written to disk. They go to the cloud model only if you allow it under Cloud.</source>
        <translation>截图只保存在内存中，供其对应的问题使用，从不写入磁盘。只有在“云端”页面中允许后，截图才会发送给云端模型。</translation>
    </message>
    <message>
        <source>Cloud model (any OpenAI-compatible endpoint)</source>
        <translation>云端模型（任何兼容 OpenAI 的端点）</translation>
    </message>
    <message>
        <source>⚠ Screen images are sent to the cloud model: whatever your screen shows when you ask (messages, documents, passwords) leaves this computer.</source>
        <translation>⚠ 屏幕图像会发送给云端模型：提问时屏幕上显示的任何内容（消息、文档、密码）都会离开这台电脑。</translation>
    </message>
    <message>
        <source>checking the keyring…</source>
        <translation>正在检查密钥环…</translation>
    </message>
    <message>
        <source>Remove key</source>
        <translation>移除密钥</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>Privacy</source>
        <translation>隐私</translation>
    </message>
    <message>
        <source>What it remembers is kept on this computer, in the history&apos;s database. See, search, edit and delete the facts with the Memory button of the window; tell it &quot;remember that …&quot; or &quot;forget that …&quot; by voice. Passwords and card numbers are never kept.</source>
        <translation>它记住的内容保存在这台电脑上的历史数据库中。使用主窗口的“记忆”按钮查看、搜索、编辑和删除事实；也可以用语音告诉它“记住……”或“忘记……”。密码和卡号从不保存。</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Record…</source>
        <translation>录制…</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Model file ({extension})…</source>
        <translation>模型文件（{extension}）…</translation>
    </message>
    <message>
        <source>Model folder…</source>
        <translation>模型文件夹…</translation>
    </message>
    <message>
        <source>The settings could not be written to {path}: {reason}</source>
        <translation>无法将设置写入 {path}：{reason}</translation>
    </message>
    <message>
        <source>The settings were saved, but the MCP servers could not be written to {path}: {reason}</source>
        <translation>设置已保存，但无法将 MCP 服务器写入 {path}：{reason}</translation>
    </message>
    <message>
        <source>Storing the API key in the keyring…</source>
        <translation>正在将 API 密钥存入密钥环…</translation>
    </message>
    <message>
        <source>Removing the API key from the keyring…</source>
        <translation>正在从密钥环中移除 API 密钥…</translation>
    </message>
    <message>
        <source>The settings were saved, but the API key was not stored: the OS keyring is unavailable ({reason}). Set {variable} in the environment instead.</source>
        <translation>设置已保存，但 API 密钥未能存储：系统密钥环不可用（{reason}）。请改为在环境变量中设置 {variable}。</translation>
    </message>
    <message>
        <source>The settings were saved, but the API key was not removed: the OS keyring is unavailable ({reason}). Set {variable} in the environment instead.</source>
        <translation>设置已保存，但 API 密钥未能移除：系统密钥环不可用（{reason}）。请改为在环境变量中设置 {variable}。</translation>
    </message>
    <message>
        <source>the OS keyring is unavailable</source>
        <translation>系统密钥环不可用</translation>
    </message>
    <message>
        <source>The OS keyring is unavailable ({reason}). Set {variable} in the environment instead.</source>
        <translation>系统密钥环不可用（{reason}）。请改为在环境变量中设置 {variable}。</translation>
    </message>
    <message>
        <source>a key is stored in the keyring (type to replace it)</source>
        <translation>密钥环中已存有密钥（输入即可替换）</translation>
    </message>
    <message>
        <source>no key stored (paste one here)</source>
        <translation>未存储密钥（请在此粘贴）</translation>
    </message>
    <message>
        <source>{variable} is set in the environment and is used before the keyring.</source>
        <translation>环境变量中已设置 {variable}，它优先于密钥环使用。</translation>
    </message>
    <message>
        <source>The stored key will be removed when you save.</source>
        <translation>保存时将移除已存储的密钥。</translation>
    </message>
    <message>
        <source>Choose a model file</source>
        <translation>选择模型文件</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
    <message>
        <source>Preparing the models…</source>
        <translation>正在准备模型…</translation>
    </message>
    <message>
        <source>Preparing the models failed: {reason}</source>
        <translation>准备模型失败：{reason}</translation>
    </message>
    <message>
        <source>Not available: {models} (see the fix under each model).</source>
        <translation>不可用：{models}（请查看各模型下方的解决方法）。</translation>
    </message>
    <message>
        <source>All models are ready.</source>
        <translation>所有模型均已就绪。</translation>
    </message>
    <message>
        <source>No Ollama or LM Studio server is running here</source>
        <translation>本机没有运行 Ollama 或 LM Studio 服务器</translation>
    </message>
    <message>
        <source>Running here: {server}</source>
        <translation>本机运行中：{server}</translation>
    </message>
    <message>
        <source>cannot check: {reason}</source>
        <translation>无法检查：{reason}</translation>
    </message>
    <message>
        <source>none: the language model above answers every question</source>
        <translation>无：由上方的语言模型回答所有问题</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>缺失</translation>
    </message>
    <message>
        <source>{status}: {detail}</source>
        <translation>{status}：{detail}</translation>
    </message>
    <message>
        <source> ({size:.0f} MB)</source>
        <translation>（{size:.0f} MB）</translation>
    </message>
    <message>
        <source>No microphone found: {problem}</source>
        <translation>未找到麦克风：{problem}</translation>
    </message>
    <message>
        <source>No speaker found: {problem}</source>
        <translation>未找到扬声器：{problem}</translation>
    </message>
    <message>
        <source>No microphone or speaker found: {problem}</source>
        <translation>未找到麦克风或扬声器：{problem}</translation>
    </message>
    <message>
        <source>none listed</source>
        <translation>未列出任何设备</translation>
    </message>
    <message>
        <source>Playing a test tone…</source>
        <translation>正在播放测试音…</translation>
    </message>
    <message>
        <source>The test failed: {reason}</source>
        <translation>测试失败：{reason}</translation>
    </message>
    <message>
        <source>Played a test tone on {device}.</source>
        <translation>已在 {device} 上播放测试音。</translation>
    </message>
    <message>
        <source>Played a test tone on the system default speaker.</source>
        <translation>已在系统默认扬声器上播放测试音。</translation>
    </message>
    <message>
        <source>Recording for 1 s — say something…</source>
        <translation>正在录音 1 秒——请说点什么…</translation>
    </message>
    <message>
        <source>Peak level: silence. Is the microphone muted or the wrong one?</source>
        <translation>峰值电平：静音。麦克风是否被静音或选错了？</translation>
    </message>
    <message>
        <source>Peak level: {peak:.1f} dBFS (quiet: move closer or raise the input volume).</source>
        <translation>峰值电平：{peak:.1f} dBFS（声音较小：请靠近一些或调高输入音量）。</translation>
    </message>
    <message>
        <source>Peak level: {peak:.1f} dBFS.</source>
        <translation>峰值电平：{peak:.1f} dBFS。</translation>
    </message>
    <message>
        <source>PortAudio lists no such device. Connect one, or check that this user may use the sound devices.</source>
        <translation>PortAudio 未列出此类设备。请连接一个，或检查当前用户是否有权使用声音设备。</translation>
    </message>
    <message>
        <source>bundled (offline pack)</source>
        <translation>内置（离线包）</translation>
    </message>
    <message>
        <source>local server</source>
        <translation>本地服务器</translation>
    </message>
    <message>
        <source>local file</source>
        <translation>本地文件</translation>
    </message>
    <message>
        <source>downloaded</source>
        <translation>已下载</translation>
    </message>
    <message>
        <source>downloaded on first use</source>
        <translation>首次使用时下载</translation>
    </message>
</context>
<context>
    <name>SettingsFields</name>
    <message>
        <source>Speech recognition</source>
        <translation>语音识别</translation>
    </message>
    <message>
        <source>&quot;bundled&quot;, a local path, or a Hugging Face id</source>
        <translation>“bundled”、本地路径或 Hugging Face ID</translation>
    </message>
    <message>
        <source>Language model</source>
        <translation>语言模型</translation>
    </message>
    <message>
        <source>GGUF model (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Offline: Qwen2.5-Coder 0.5B (fastest)</source>
        <translation>离线：Qwen2.5-Coder 0.5B（最快）</translation>
    </message>
    <message>
        <source>Offline: Qwen2.5-Coder 1.5B (right more often, slower; its own pack)</source>
        <translation>离线：Qwen2.5-Coder 1.5B（更常答对，较慢；需单独的离线包）</translation>
    </message>
    <message>
        <source>Bigger model for hard questions</source>
        <translation>用于难题的更大模型</translation>
    </message>
    <message>
        <source>auto, empty (none), &quot;bundled-1.5b&quot;, a local path, a server, or a Hugging Face id</source>
        <translation>auto、留空（无）、“bundled-1.5b”、本地路径、服务器或 Hugging Face ID</translation>
    </message>
    <message>
        <source>Arithmetic, conversions, reasoning, code, how-to and long conversations go to this model; the language model above answers the rest, sooner</source>
        <translation>算术、换算、推理、代码、操作方法和长对话交给此模型；其余问题由上方的语言模型更快地回答</translation>
    </message>
    <message>
        <source>Automatic: the offline 1.5B model when its pack is installed</source>
        <translation>自动：已安装离线包时使用离线 1.5B 模型</translation>
    </message>
    <message>
        <source>Offline: Qwen2.5-Coder 1.5B (its own pack)</source>
        <translation>离线：Qwen2.5-Coder 1.5B（需单独的离线包）</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Hard questions</source>
        <translation>难题</translation>
    </message>
    <message>
        <source>To the bigger model (or the cloud model, under &quot;auto&quot;)</source>
        <translation>交给更大的模型（在“自动”策略下交给云端模型）</translation>
    </message>
    <message>
        <source>Answered by the language model above like the others</source>
        <translation>与其他问题一样由上方的语言模型回答</translation>
    </message>
    <message>
        <source>Language model runtime</source>
        <translation>语言模型运行时</translation>
    </message>
    <message>
        <source>Automatic: CTranslate2 for a bigger GGUF on the CPU, else transformers</source>
        <translation>自动：在 CPU 上运行较大的 GGUF 时用 CTranslate2，否则用 transformers</translation>
    </message>
    <message>
        <source>CTranslate2 (int8, CPU)</source>
        <translation>CTranslate2（int8，CPU）</translation>
    </message>
    <message>
        <source>transformers (GPU, any model)</source>
        <translation>transformers（GPU，任意模型）</translation>
    </message>
    <message>
        <source>Voice (Piper)</source>
        <translation>语音音色（Piper）</translation>
    </message>
    <message>
        <source>ONNX model (*.onnx)</source>
        <translation>ONNX 模型 (*.onnx)</translation>
    </message>
    <message>
        <source>Voice activity detection</source>
        <translation>语音活动检测</translation>
    </message>
    <message>
        <source>End of turn</source>
        <translation>话轮结束检测</translation>
    </message>
    <message>
        <source>&quot;bundled&quot; (Smart Turn), a local .onnx, owner/repo:file.onnx, or empty: silence alone</source>
        <translation>“bundled”（Smart Turn）、本地 .onnx、owner/repo:file.onnx，或留空：仅靠静音判断</translation>
    </message>
    <message>
        <source>A model that hears from your voice whether you have finished, so a finished question is answered sooner and a pause mid-sentence waits for the rest</source>
        <translation>通过您的声音判断您是否说完的模型：说完的问题会更快得到回答，句中停顿则会等您说完</translation>
    </message>
    <message>
        <source>Allow downloads from the Hugging Face hub when a model is not on disk</source>
        <translation>模型不在磁盘上时，允许从 Hugging Face Hub 下载</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>麦克风</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>扬声器</translation>
    </message>
    <message>
        <source>Half duplex: ignore the microphone while the assistant speaks (no echo without a headset)</source>
        <translation>半双工：助手说话时忽略麦克风（不戴耳机也不会有回声）</translation>
    </message>
    <message>
        <source>Speech engine</source>
        <translation>语音引擎</translation>
    </message>
    <message>
        <source>Piper (natural voice)</source>
        <translation>Piper（自然的声音）</translation>
    </message>
    <message>
        <source>eSpeak (robotic, very light)</source>
        <translation>eSpeak（机械音，非常轻量）</translation>
    </message>
    <message>
        <source>eSpeak voice</source>
        <translation>eSpeak 语音</translation>
    </message>
    <message>
        <source>Speaking rate</source>
        <translation>语速</translation>
    </message>
    <message>
        <source>Language you speak</source>
        <translation>您说的语言</translation>
    </message>
    <message>
        <source>en; a code such as zh, de, fr; or auto</source>
        <translation>en；或语言代码，如 zh、de、fr；或 auto</translation>
    </message>
    <message>
        <source>Another language than English (or auto: detected each time) is heard by the multilingual recognizer and answered in the language heard</source>
        <translation>英语以外的语言（或 auto：每次自动识别）由多语言识别模型听写，并用听到的语言回答</translation>
    </message>
    <message>
        <source>Chinese written in</source>
        <translation>中文书写为</translation>
    </message>
    <message>
        <source>How Chinese that is heard is written: the recognizer writes either, so it is made one</source>
        <translation>听到的中文用哪种字体书写：识别器两种都会写出，这里统一为一种</translation>
    </message>
    <message>
        <source>Simplified characters (简体)</source>
        <translation>简体字</translation>
    </message>
    <message>
        <source>Traditional characters (繁體)</source>
        <translation>繁體字</translation>
    </message>
    <message>
        <source>Voices for other languages</source>
        <translation>其他语言的语音</translation>
    </message>
    <message>
        <source>A Piper voice per language: a voice name (fetched when downloads are allowed) or a path. A language without one is spoken by eSpeak&apos;s voice for it; English by the voice above</source>
        <translation>每种语言一个 Piper 语音：语音名称（允许下载时自动获取）或文件路径。没有指定语音的语言由 eSpeak 的该语言语音朗读；英语由上面的语音朗读</translation>
    </message>
    <message>
        <source>Wake phrase</source>
        <translation>唤醒词</translation>
    </message>
    <message>
        <source>one to five words, such as: hey assistant</source>
        <translation>一到五个词，例如：hey assistant</translation>
    </message>
    <message>
        <source>Sensitivity</source>
        <translation>灵敏度</translation>
    </message>
    <message>
        <source>Higher accepts looser matches of the phrase: it wakes more easily, and more often by mistake</source>
        <translation>数值越高，对唤醒词的匹配越宽松：更容易唤醒，也更容易误唤醒</translation>
    </message>
    <message>
        <source>Follow-up window</source>
        <translation>追问窗口</translation>
    </message>
    <message>
        <source>After a reply, how long a next question is taken without the phrase</source>
        <translation>回复之后，在多长时间内无需唤醒词即可继续提问</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>off: always say the phrase</source>
        <translation>关闭：始终需要说唤醒词</translation>
    </message>
    <message>
        <source>Wake-word model</source>
        <translation>唤醒词模型</translation>
    </message>
    <message>
        <source>empty: the built-in detector (speech to text hears the phrase)</source>
        <translation>留空：使用内置检测器（由语音识别听出唤醒词）</translation>
    </message>
    <message>
        <source>An openWakeWord model (.onnx, with melspectrogram.onnx and embedding_model.onnx beside it) or owner/repo:file.onnx on the Hugging Face hub: it hears the phrase in the audio itself, at almost no cost. Set the wake phrase to the model&apos;s phrase.</source>
        <translation>openWakeWord 模型（.onnx，旁边需有 melspectrogram.onnx 和 embedding_model.onnx），或 Hugging Face Hub 上的 owner/repo:file.onnx：它直接在音频中听出唤醒词，几乎不占资源。请将唤醒词设为该模型的唤醒词。</translation>
    </message>
    <message>
        <source>openWakeWord model (*.onnx)</source>
        <translation>openWakeWord 模型 (*.onnx)</translation>
    </message>
    <message>
        <source>Always listening from the start: answer speech that starts with the wake phrase (the tray menu switches it any time)</source>
        <translation>启动后即始终聆听：回答以唤醒词开头的语音（可随时在托盘菜单中切换）</translation>
    </message>
    <message>
        <source>Mute / unmute hotkey</source>
        <translation>静音 / 取消静音快捷键</translation>
    </message>
    <message>
        <source>empty: off</source>
        <translation>留空：关闭</translation>
    </message>
    <message>
        <source>Barge-in: talking over a reply stops it, and what you say is the next question</source>
        <translation>插话打断：在回复时说话会停止回复，您说的话即为下一个问题</translation>
    </message>
    <message>
        <source>I use headphones: the microphone cannot hear the speaker (no echo suppression)</source>
        <translation>我使用耳机：麦克风听不到扬声器（不做回声抑制）</translation>
    </message>
    <message>
        <source>Keep debug recordings of everything the microphone hears</source>
        <translation>保存麦克风听到的所有内容作为调试录音</translation>
    </message>
    <message>
        <source>Show / hide the launcher</source>
        <translation>显示 / 隐藏启动器</translation>
    </message>
    <message>
        <source>Push to talk (hold)</source>
        <translation>按住说话</translation>
    </message>
    <message>
        <source>Ask about the screen</source>
        <translation>询问屏幕内容</translation>
    </message>
    <message>
        <source>The launcher starts listening at once (otherwise it waits for typing)</source>
        <translation>启动器打开后立即开始聆听（否则等待输入）</translation>
    </message>
    <message>
        <source>Start hidden in the system tray</source>
        <translation>启动时隐藏到系统托盘</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>The system&apos;s language</source>
        <translation>跟随系统语言</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Follow the system (light or dark)</source>
        <translation>跟随系统（浅色或深色）</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>A screen question captures</source>
        <translation>屏幕提问时截取</translation>
    </message>
    <message>
        <source>The screen under the pointer</source>
        <translation>鼠标指针所在的屏幕</translation>
    </message>
    <message>
        <source>The active window</source>
        <translation>活动窗口</translation>
    </message>
    <message>
        <source>All screens</source>
        <translation>所有屏幕</translation>
    </message>
    <message>
        <source>Vision model</source>
        <translation>视觉模型</translation>
    </message>
    <message>
        <source>empty: OCR + the language model; or e.g. HuggingFaceTB/SmolVLM-256M-Instruct or a folder</source>
        <translation>留空：OCR + 语言模型；或例如 HuggingFaceTB/SmolVLM-256M-Instruct 或一个文件夹</translation>
    </message>
    <message>
        <source>Questions like &quot;what&apos;s on my screen?&quot; capture the screen by themselves</source>
        <translation>像“我的屏幕上有什么？”这样的问题会自动截取屏幕</translation>
    </message>
    <message>
        <source>Read the screen&apos;s text for the language model (RapidOCR, on this computer)</source>
        <translation>为语言模型读取屏幕上的文字（RapidOCR，在本机运行）</translation>
    </message>
    <message>
        <source>Policy</source>
        <translation>策略</translation>
    </message>
    <message>
        <source>Local only (nothing leaves this computer)</source>
        <translation>仅本地（任何内容都不会离开这台电脑）</translation>
    </message>
    <message>
        <source>Auto (local first, the cloud when it is slow or missing)</source>
        <translation>自动（优先本地，本地较慢或缺失时使用云端）</translation>
    </message>
    <message>
        <source>Cloud first (the local model as fallback)</source>
        <translation>优先云端（本地模型作为后备）</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>基础 URL</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Timeout</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>Also transcribe and speak through the endpoint&apos;s audio API</source>
        <translation>同时通过该端点的音频 API 进行语音识别和语音合成</translation>
    </message>
    <message>
        <source>Allow screen images to be sent to the cloud model (screen questions then send a picture of your screen to this endpoint)</source>
        <translation>允许将屏幕图像发送给云端模型（屏幕提问时会将您的屏幕画面发送到此端点）</translation>
    </message>
    <message>
        <source>Keep conversations in the history on this computer</source>
        <translation>在本机的历史记录中保存对话</translation>
    </message>
    <message>
        <source>Answer requests with tools (the clock, timers, units, apps, MCP servers)</source>
        <translation>使用工具回应请求（时钟、计时器、单位、应用、MCP 服务器）</translation>
    </message>
    <message>
        <source>Answer common requests on this computer without the language model</source>
        <translation>在本机直接回应常见请求，无需语言模型</translation>
    </message>
    <message>
        <source>Let the language model call the tools that fit a question</source>
        <translation>允许语言模型调用适合问题的工具</translation>
    </message>
    <message>
        <source>Allowed without asking</source>
        <translation>无需询问即可使用</translation>
    </message>
    <message>
        <source>comma-separated: timers, desktop, mcp:files (* for all)</source>
        <translation>用逗号分隔：timers, desktop, mcp:files（* 表示全部）</translation>
    </message>
    <message>
        <source>Tools, families or MCP servers (mcp:&lt;name&gt;) that run without asking first, and that may reach the network under the local-only policy</source>
        <translation>无需事先询问即可运行的工具、工具族或 MCP 服务器（mcp:&lt;name&gt;），在“仅本地”策略下它们也可以访问网络</translation>
    </message>
    <message>
        <source>Start these MCP servers with the assistant</source>
        <translation>随助手一同启动这些 MCP 服务器</translation>
    </message>
    <message>
        <source>Remember what I tell it, and recall past conversations (off: nothing is stored or embedded)</source>
        <translation>记住我告诉它的事，并回忆过往对话（关闭：不保存也不做向量嵌入）</translation>
    </message>
    <message>
        <source>Facts put into a question&apos;s prompt, at most</source>
        <translation>每个问题的提示词中最多放入的事实数</translation>
    </message>
    <message>
        <source>Only facts that fit the question go in; fewer keeps prompts short and answers quick</source>
        <translation>只放入与问题相关的事实；数量越少，提示词越短，回答越快</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Embedding model</source>
        <translation>嵌入模型</translation>
    </message>
    <message>
        <source>bundled (all-MiniLM-L6-v2, offline), a local sentence-transformers folder, or a Hugging Face id</source>
        <translation>bundled（all-MiniLM-L6-v2，离线）、本地 sentence-transformers 文件夹或 Hugging Face ID</translation>
    </message>
</context>
<context>
    <name>StateBadge</name>
    <message>
        <source>Loading</source>
        <translation>加载中</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Listening</source>
        <translation>聆听中</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>思考中</translation>
    </message>
    <message>
        <source>Speaking</source>
        <translation>说话中</translation>
    </message>
    <message>
        <source>Muted</source>
        <translation>已静音</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>State: {state}</source>
        <translation>状态：{state}</translation>
    </message>
</context>
<context>
    <name>TimerAlerts</name>
    <message>
        <source>Timer</source>
        <translation>计时器</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>闹钟</translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation>提醒</translation>
    </message>
    <message>
        <source>{title} (missed)</source>
        <translation>{title}（已错过）</translation>
    </message>
</context>
<context>
    <name>TimersPanel</name>
    <message>
        <source>Timers</source>
        <translation>计时器</translation>
    </message>
    <message>
        <source>left</source>
        <translation>剩余</translation>
    </message>
    <message>
        <source>Alarm: {label}</source>
        <translation>闹钟：{label}</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>闹钟</translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation>提醒</translation>
    </message>
</context>
<context>
    <name>TrayIcon</name>
    <message>
        <source>Mic off</source>
        <translation>麦克风关闭</translation>
    </message>
    <message>
        <source>Show window</source>
        <translation>显示窗口</translation>
    </message>
    <message>
        <source>Listen</source>
        <translation>聆听</translation>
    </message>
    <message>
        <source>Mute microphone</source>
        <translation>静音麦克风</translation>
    </message>
    <message>
        <source>Always listening</source>
        <translation>持续聆听</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Always listening (say “{phrase}”)</source>
        <translation>持续聆听（说“{phrase}”）</translation>
    </message>
    <message>
        <source>Voice Assistant: {state}</source>
        <translation>语音助手：{state}</translation>
    </message>
    <message>
        <source>Voice Assistant: capturing the screen</source>
        <translation>语音助手：正在截取屏幕</translation>
    </message>
</context>
<context>
    <name>TurnWidget</name>
    <message>
        <source>Copy the reply</source>
        <translation>复制回复</translation>
    </message>
    <message>
        <source>timing</source>
        <translation>耗时</translation>
    </message>
    <message>
        <source>Show timing</source>
        <translation>显示耗时</translation>
    </message>
    <message>
        <source>Show where this turn&apos;s time went</source>
        <translation>显示这一轮的时间花在了哪里</translation>
    </message>
    <message>
        <source>Tool call: {tool}</source>
        <translation>工具调用：{tool}</translation>
    </message>
    <message>
        <source>Screen capture: {what}</source>
        <translation>屏幕截图：{what}</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Yes: {question}</source>
        <translation>是：{question}</translation>
    </message>
    <message>
        <source>No: {question}</source>
        <translation>否：{question}</translation>
    </message>
    <message>
        <source>You said: {text}</source>
        <translation>你说：{text}</translation>
    </message>
    <message>
        <source>Assistant: {text}</source>
        <translation>助手：{text}</translation>
    </message>
    <message>
        <source>Hide timing</source>
        <translation>隐藏耗时</translation>
    </message>
</context>
<context>
    <name>VoiceVisual</name>
    <message>
        <source>Speaking</source>
        <translation>说话中</translation>
    </message>
    <message>
        <source>The assistant is answering aloud</source>
        <translation>助手正在朗读回答</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>思考中…</translation>
    </message>
    <message>
        <source>The assistant is working on the answer</source>
        <translation>助手正在准备回答</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>The models are loading</source>
        <translation>模型正在加载</translation>
    </message>
    <message>
        <source>Unavailable</source>
        <translation>不可用</translation>
    </message>
    <message>
        <source>The assistant is not available</source>
        <translation>助手不可用</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Click the microphone to talk, or type a question</source>
        <translation>点击麦克风说话，或输入问题</translation>
    </message>
</context>
<context>
    <name>WaterfallChart</name>
    <message>
        <source>end of speech</source>
        <translation>语音结束</translation>
    </message>
    <message>
        <source>transcript</source>
        <translation>转写</translation>
    </message>
    <message>
        <source>first token</source>
        <translation>首个词元</translation>
    </message>
    <message>
        <source>first audio</source>
        <translation>首段音频</translation>
    </message>
    <message>
        <source>{step}: {ms:.0f} ms</source>
        <translation>{step}：{ms:.0f} 毫秒</translation>
    </message>
    <message>
        <source>{ms:.0f} ms</source>
        <translation>{ms:.0f} 毫秒</translation>
    </message>
</context>
<context>
    <name>_Row</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancel it</source>
        <translation>取消此项</translation>
    </message>
</context>
</TS>
