--[[
tools/literate.lua: what tools/tangle.lua and tools/weave.lua both need to know about a chapter's
code blocks. Loaded by both filters with dofile (it is not a filter itself).
]]

local M = {}

-- The title of the last `TL_CELL("title")` in a code block, or nil.
-- The title is a C string literal; its escapes \" and \\ are undone.
function M.cell_title(code)
  local title
  local from = 1
  while true do
    local _, open = code:find('TL_CELL%s*%(%s*"', from)
    if not open then break end
    local chars, i = {}, open + 1
    while i <= #code do
      local c = code:sub(i, i)
      if c == "\\" then
        table.insert(chars, code:sub(i + 1, i + 1))
        i = i + 2
      elseif c == '"' then
        title = table.concat(chars)
        break
      else
        table.insert(chars, c)
        i = i + 1
      end
    end
    from = i + 1
  end
  return title
end

function M.has_class(codeblock, class)
  for _, c in ipairs(codeblock.classes) do
    if c == class then return true end
  end
  return false
end

return M
