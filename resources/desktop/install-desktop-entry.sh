#!/bin/sh
# Put Tern Studio in the applications menu and make it open .tern files (Linux, this user only).
# Run from the unpacked bundle: ./install-desktop-entry.sh [--uninstall]
# Writes ~/.local/share/applications/tern-studio.desktop, the icon under ~/.local/share/icons/hicolor
# and the .tern file type under ~/.local/share/mime (XDG_DATA_HOME when set).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
APPS=$DATA/applications
ICONS=$DATA/icons/hicolor
MIME=$DATA/mime
if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$APPS/tern-studio.desktop" "$ICONS/scalable/apps/tern-studio.svg" \
          "$ICONS/256x256/apps/tern-studio.png" "$MIME/packages/tern-studio.xml"
    echo "removed the Tern Studio desktop entry"
else
    EXE=$HERE/tern-studio
    [ -x "$EXE" ] || { echo "no executable $EXE: run this script from the Tern Studio folder" >&2; exit 1; }
    mkdir -p "$APPS" "$ICONS/scalable/apps" "$ICONS/256x256/apps" "$MIME/packages"
    # Exec: the path quoted as the desktop entry spec says (spaces, quotes, % in the folder name are fine)
    QUOTED=$(printf '%s' "$EXE" | sed -e 's/[\\"`$]/\\\\&/g' -e 's/%/%%/g')
    FORSED=$(printf '%s' "$QUOTED" | sed -e 's/[\\&|]/\\&/g')  # and for sed's replacement text
    sed -e "s|@EXEC@|\"$FORSED\"|g" "$HERE/tern-studio.desktop.in" > "$APPS/tern-studio.desktop"
    cp "$HERE/tern-studio.svg" "$ICONS/scalable/apps/tern-studio.svg"
    cp "$HERE/tern-studio.png" "$ICONS/256x256/apps/tern-studio.png"
    cp "$HERE/tern-studio-mime.xml" "$MIME/packages/tern-studio.xml"
    echo "installed $APPS/tern-studio.desktop (runs $EXE)"
fi
# refresh the caches where the tools exist (desktops also pick the files up by themselves)
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database "$MIME" >/dev/null 2>&1 || true; fi
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database "$APPS" >/dev/null 2>&1 || true; fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t "$ICONS" >/dev/null 2>&1 || true; fi
